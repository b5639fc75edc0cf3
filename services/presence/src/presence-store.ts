/**
 * Where presence lives: connections per node and per user, and presence-channel memberships per
 * connection. Two implementations: MemoryPresenceStore (embedded default, one process) and
 * RedisPresenceStore (shared by every presence instance, survives restarts).
 *
 * Every mutation is idempotent (lifecycle delivery is at least once) and reports whether it changed
 * anything, so the service publishes Join/Leave once per real change. Memberships are per connection: a
 * user with two tabs in a room is two members; one connection subscribing twice is one member.
 * `expireNode` is atomic and conditional, so when several presence instances sweep at once exactly one of
 * them gets the removed memberships (and publishes their Leave).
 */

/** One member of a channel, or one connection of a user. */
export interface Member {
  readonly connectionId: string;
  readonly userId: string;
  /** Opaque client info from ConnectionOpened (empty when unknown). */
  readonly info: Uint8Array;
}

/** What a connection or a node expiry removed. */
export interface RemovedConnection extends Member {
  readonly nodeId: string;
  /** Channels the connection was a member of, now left. */
  readonly channels: readonly string[];
}

export interface NodeRecord {
  readonly nodeId: string;
  /** Service clock when the node was first seen (any event). */
  readonly firstSeenMs: number;
  /** Service clock of the last heartbeat, 0 when none arrived yet. */
  readonly lastHeartbeatMs: number;
  /** lease_ms of the last heartbeat, 0 when none. */
  readonly leaseMs: number;
  /** Connections the store holds for the node. */
  readonly connections: number;
  /**
   * The last heartbeat as the node sent it (encoded NodeHeartbeat: its own connection count and busiest
   * channels), for the admin view; undefined before the first heartbeat that carried one.
   */
  readonly status?: Uint8Array;
}

export interface ConnectionRef {
  readonly nodeId: string;
  readonly connectionId: string;
  readonly userId: string;
}

import type { LifecycleCursorStore } from '@switchboard/service-kit';

export interface PresenceStore {
  /** Where the service keeps how far it applied each node's lifecycle stream: next to the rest. */
  readonly cursors: LifecycleCursorStore;
  /** Registers a connection (idempotent; refreshes user and info). */
  connectionOpened(ref: ConnectionRef, info: Uint8Array, nowMs: number): Promise<void>;
  /** Removes a connection and all its memberships; undefined when it was not known. */
  connectionClosed(connectionId: string): Promise<RemovedConnection | undefined>;
  /** Adds a membership (registering the connection if needed); the member when it is new, else undefined. */
  join(ref: ConnectionRef, channel: string, nowMs: number): Promise<Member | undefined>;
  /** Removes a membership; the member when it existed, else undefined. */
  leave(connectionId: string, channel: string): Promise<Member | undefined>;
  /** Members of a channel, one per connection, ordered by connection id. */
  members(channel: string): Promise<Member[]>;
  /** Connections of a user across all nodes, ordered by connection id. */
  userConnections(userId: string): Promise<Member[]>;
  userOnline(userId: string): Promise<boolean>;
  /** Records a node heartbeat at `nowMs` (service clock), with the heartbeat itself as `status` when given. */
  heartbeat(nodeId: string, leaseMs: number, nowMs: number, status?: Uint8Array): Promise<void>;
  nodes(): Promise<NodeRecord[]>;
  /** Connection ids the store holds for the node (a snapshot replaces them). */
  nodeConnections(nodeId: string): Promise<string[]>;
  /** Presence channels the connection is a member of, sorted. */
  connectionChannels(connectionId: string): Promise<string[]>;
  /**
   * Removes the node with its connections and memberships. With `aliveBefore`, only when the node's last
   * sign of life (last heartbeat, else first seen) is at or before it — checked atomically with the
   * removal, so a heartbeat that raced the sweep wins. undefined when nothing was expired.
   */
  expireNode(nodeId: string, aliveBefore?: number): Promise<RemovedConnection[] | undefined>;
  close(): Promise<void>;
}

export const byConnectionId = (a: { connectionId: string }, b: { connectionId: string }): number =>
  a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0;
