/** In-process ConnectionRegistry: the embedded default. One instance only; lost when the process exits. */

import { addToSetMap, deleteFromSetMap } from '@switchboard/runtime';
import { MemoryLifecycleCursors } from '@switchboard/service-kit';
import {
  byConnectionId,
  type ConnectionRef,
  type ConnectionRegistry,
  type NodeRecord,
} from './connection-registry.js';

interface NodeState {
  readonly firstSeenMs: number;
  lastHeartbeatMs: number;
  leaseMs: number;
  readonly connections: Set<string>;
}

export class MemoryConnectionRegistry implements ConnectionRegistry {
  readonly cursors = new MemoryLifecycleCursors();
  readonly #connections = new Map<string, { nodeId: string; userId: string }>();
  readonly #users = new Map<string, Set<string>>();
  readonly #nodes = new Map<string, NodeState>();

  async opened(ref: ConnectionRef, nowMs: number): Promise<void> {
    const old = this.#connections.get(ref.connectionId);
    if (old && (old.nodeId !== ref.nodeId || old.userId !== ref.userId)) this.#unindex(ref.connectionId, old);
    this.#connections.set(ref.connectionId, { nodeId: ref.nodeId, userId: ref.userId });
    addToSetMap(this.#users, ref.userId, ref.connectionId);
    if (ref.nodeId) this.#node(ref.nodeId, nowMs).connections.add(ref.connectionId);
  }

  async closed(ref: ConnectionRef): Promise<boolean> {
    const known = this.#connections.get(ref.connectionId);
    this.#connections.delete(ref.connectionId);
    this.#unindex(ref.connectionId, known ?? ref);
    return known !== undefined;
  }

  async connections(userId: string): Promise<string[]> {
    return [...(this.#users.get(userId) ?? [])].sort();
  }

  async heartbeat(nodeId: string, leaseMs: number, nowMs: number): Promise<void> {
    const node = this.#node(nodeId, nowMs);
    node.lastHeartbeatMs = nowMs;
    node.leaseMs = leaseMs;
  }

  async nodes(): Promise<NodeRecord[]> {
    return [...this.#nodes].map(([nodeId, n]) => ({
      nodeId,
      firstSeenMs: n.firstSeenMs,
      lastHeartbeatMs: n.lastHeartbeatMs,
      leaseMs: n.leaseMs,
    }));
  }

  async nodeConnections(nodeId: string): Promise<string[]> {
    return [...(this.#nodes.get(nodeId)?.connections ?? [])].sort();
  }

  async expireNode(nodeId: string, aliveBefore?: number): Promise<ConnectionRef[] | undefined> {
    const node = this.#nodes.get(nodeId);
    if (!node) return undefined;
    const lastAlive = node.lastHeartbeatMs || node.firstSeenMs;
    if (aliveBefore !== undefined && lastAlive > aliveBefore) return undefined;
    const removed: ConnectionRef[] = [];
    for (const connectionId of node.connections) {
      const state = this.#connections.get(connectionId);
      if (state?.nodeId !== nodeId) continue;
      this.#connections.delete(connectionId);
      deleteFromSetMap(this.#users, state.userId, connectionId);
      removed.push({ nodeId, connectionId, userId: state.userId });
    }
    this.#nodes.delete(nodeId);
    return removed.sort(byConnectionId);
  }

  async close(): Promise<void> {}

  #node(nodeId: string, nowMs: number): NodeState {
    let node = this.#nodes.get(nodeId);
    if (!node) {
      node = { firstSeenMs: nowMs, lastHeartbeatMs: 0, leaseMs: 0, connections: new Set() };
      this.#nodes.set(nodeId, node);
    }
    return node;
  }

  #unindex(connectionId: string, where: { nodeId: string; userId: string }): void {
    deleteFromSetMap(this.#users, where.userId, connectionId);
    if (where.nodeId) this.#nodes.get(where.nodeId)?.connections.delete(connectionId);
  }
}
