/**
 * Which connections each user has open, built from lifecycle events (connection_opened / _closed) and
 * kept honest by node heartbeats. It only decides whether a push counts as DELIVERED; the push itself
 * always goes to the user route.
 *
 * Two implementations: MemoryConnectionRegistry (embedded default; one process, lost on restart) and
 * RedisConnectionRegistry (shared by every notifications instance, survives restarts). The lifecycle topic
 * is consumed by the `notifications` group, so each event reaches one instance: only a shared registry
 * lets every instance see every connection.
 *
 * Nodes: a connection belongs to the edge node that opened it. A node's last sign of life is its last
 * heartbeat (NodeHeartbeat), else the first time the registry saw it; `expireNode` drops a node and its
 * connections atomically and conditionally (a heartbeat that raced the sweep wins), so an edge that died
 * without closing its connections does not leave them counted as open forever.
 *
 * Every mutation is idempotent: lifecycle delivery is at least once.
 */

export interface ConnectionRef {
  /** Edge node that holds the connection ('' when unknown: the connection then never expires by lease). */
  readonly nodeId: string;
  readonly connectionId: string;
  readonly userId: string;
}

export interface NodeRecord {
  readonly nodeId: string;
  /** Service clock when the node was first seen (any event). */
  readonly firstSeenMs: number;
  /** Service clock of the last heartbeat, 0 when none arrived yet. */
  readonly lastHeartbeatMs: number;
  /** lease_ms of the last heartbeat, 0 when none. */
  readonly leaseMs: number;
}

import type { LifecycleCursorStore } from '@switchboard/service-kit';

export interface ConnectionRegistry {
  /** How far the service applied each node's lifecycle stream, kept next to the registry. */
  readonly cursors: LifecycleCursorStore;
  /** Registers a connection (idempotent; moves it if its node or user changed). */
  opened(ref: ConnectionRef, nowMs: number): Promise<void>;
  /**
   * Unregisters a connection; true when it was known. The node and user of the registered connection
   * win; those of `ref` are used when the registry never saw it opened.
   */
  closed(ref: ConnectionRef): Promise<boolean>;
  /** Open connection ids of the user, across all nodes, sorted. */
  connections(userId: string): Promise<string[]>;
  /** Records a heartbeat of the node at `nowMs` (service clock) with its announced lease. */
  heartbeat(nodeId: string, leaseMs: number, nowMs: number): Promise<void>;
  /** Every known node. */
  nodes(): Promise<NodeRecord[]>;
  /** Connection ids registered on the node, sorted (a snapshot replaces them). */
  nodeConnections(nodeId: string): Promise<string[]>;
  /**
   * Removes the node and its connections. With `aliveBefore`, only when the node's last sign of life is at
   * or before it — checked atomically with the removal. The removed connections (sorted by id), or
   * undefined when nothing was expired.
   */
  expireNode(nodeId: string, aliveBefore?: number): Promise<ConnectionRef[] | undefined>;
  close(): Promise<void>;
}

export const byConnectionId = (a: { connectionId: string }, b: { connectionId: string }): number =>
  a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0;
