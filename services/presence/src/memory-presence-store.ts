/** In-process PresenceStore: the embedded default. State is lost when the process exits. */

import { addToSetMap, deleteFromSetMap } from '@switchboard/runtime';
import { MemoryLifecycleCursors } from '@switchboard/service-kit';
import {
  byConnectionId,
  type ConnectionRef,
  type Member,
  type NodeRecord,
  type PresenceStore,
  type RemovedConnection,
} from './presence-store.js';

interface ConnectionState {
  nodeId: string;
  userId: string;
  info: Uint8Array;
  readonly channels: Set<string>;
}

interface NodeState {
  readonly firstSeenMs: number;
  lastHeartbeatMs: number;
  leaseMs: number;
  status: Uint8Array | undefined;
  readonly connections: Set<string>;
}

const EMPTY = new Uint8Array(0);

export class MemoryPresenceStore implements PresenceStore {
  readonly cursors = new MemoryLifecycleCursors();
  readonly #connections = new Map<string, ConnectionState>();
  readonly #channels = new Map<string, Set<string>>();
  readonly #users = new Map<string, Set<string>>();
  readonly #nodes = new Map<string, NodeState>();

  async connectionOpened(ref: ConnectionRef, info: Uint8Array, nowMs: number): Promise<void> {
    const state = this.#ensure(ref, nowMs);
    state.info = info;
  }

  async connectionClosed(connectionId: string): Promise<RemovedConnection | undefined> {
    return this.#remove(connectionId);
  }

  async join(ref: ConnectionRef, channel: string, nowMs: number): Promise<Member | undefined> {
    const state = this.#ensure(ref, nowMs);
    if (state.channels.has(channel)) return undefined;
    state.channels.add(channel);
    addToSetMap(this.#channels, channel, ref.connectionId);
    return this.#member(ref.connectionId, state);
  }

  async leave(connectionId: string, channel: string): Promise<Member | undefined> {
    const state = this.#connections.get(connectionId);
    if (!state?.channels.delete(channel)) return undefined;
    deleteFromSetMap(this.#channels, channel, connectionId);
    return this.#member(connectionId, state);
  }

  async members(channel: string): Promise<Member[]> {
    return this.#membersOf(this.#channels.get(channel));
  }

  async userConnections(userId: string): Promise<Member[]> {
    return this.#membersOf(this.#users.get(userId));
  }

  async userOnline(userId: string): Promise<boolean> {
    return (this.#users.get(userId)?.size ?? 0) > 0;
  }

  async heartbeat(nodeId: string, leaseMs: number, nowMs: number, status?: Uint8Array): Promise<void> {
    const node = this.#node(nodeId, nowMs);
    node.lastHeartbeatMs = nowMs;
    node.leaseMs = leaseMs;
    if (status) node.status = status.slice();
  }

  async nodes(): Promise<NodeRecord[]> {
    return [...this.#nodes].map(([nodeId, n]) => ({
      nodeId,
      firstSeenMs: n.firstSeenMs,
      lastHeartbeatMs: n.lastHeartbeatMs,
      leaseMs: n.leaseMs,
      connections: n.connections.size,
      ...(n.status ? { status: n.status.slice() } : {}),
    }));
  }

  async nodeConnections(nodeId: string): Promise<string[]> {
    return [...(this.#nodes.get(nodeId)?.connections ?? [])].sort();
  }

  async connectionChannels(connectionId: string): Promise<string[]> {
    return [...(this.#connections.get(connectionId)?.channels ?? [])].sort();
  }

  async expireNode(nodeId: string, aliveBefore?: number): Promise<RemovedConnection[] | undefined> {
    const node = this.#nodes.get(nodeId);
    if (!node) return undefined;
    const lastAlive = node.lastHeartbeatMs || node.firstSeenMs;
    if (aliveBefore !== undefined && lastAlive > aliveBefore) return undefined;
    const removed: RemovedConnection[] = [];
    for (const connectionId of [...node.connections]) {
      const r = this.#remove(connectionId);
      if (r) removed.push(r);
    }
    this.#nodes.delete(nodeId);
    return removed.sort(byConnectionId);
  }

  async close(): Promise<void> {}

  #node(nodeId: string, nowMs: number): NodeState {
    let node = this.#nodes.get(nodeId);
    if (!node) {
      node = {
        firstSeenMs: nowMs,
        lastHeartbeatMs: 0,
        leaseMs: 0,
        status: undefined,
        connections: new Set(),
      };
      this.#nodes.set(nodeId, node);
    }
    return node;
  }

  #ensure(ref: ConnectionRef, nowMs: number): ConnectionState {
    let state = this.#connections.get(ref.connectionId);
    if (!state) {
      state = { nodeId: ref.nodeId, userId: ref.userId, info: EMPTY, channels: new Set() };
      this.#connections.set(ref.connectionId, state);
    } else if (state.nodeId !== ref.nodeId || state.userId !== ref.userId) {
      this.#nodes.get(state.nodeId)?.connections.delete(ref.connectionId);
      deleteFromSetMap(this.#users, state.userId, ref.connectionId);
      state.nodeId = ref.nodeId;
      state.userId = ref.userId;
    }
    this.#node(ref.nodeId, nowMs).connections.add(ref.connectionId);
    addToSetMap(this.#users, ref.userId, ref.connectionId);
    return state;
  }

  #remove(connectionId: string): RemovedConnection | undefined {
    const state = this.#connections.get(connectionId);
    if (!state) return undefined;
    this.#connections.delete(connectionId);
    for (const channel of state.channels) deleteFromSetMap(this.#channels, channel, connectionId);
    deleteFromSetMap(this.#users, state.userId, connectionId);
    this.#nodes.get(state.nodeId)?.connections.delete(connectionId);
    return {
      ...this.#member(connectionId, state),
      nodeId: state.nodeId,
      channels: [...state.channels].sort(),
    };
  }

  #member(connectionId: string, state: ConnectionState): Member {
    return { connectionId, userId: state.userId, info: state.info };
  }

  #membersOf(ids: Set<string> | undefined): Member[] {
    const out: Member[] = [];
    for (const id of ids ?? []) {
      const state = this.#connections.get(id);
      if (state) out.push(this.#member(id, state));
    }
    return out.sort(byConnectionId);
  }
}
