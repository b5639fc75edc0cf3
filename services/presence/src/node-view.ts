/**
 * The operator's view of the edge nodes (`presence.nodes`): every node with a live lease, described by its
 * last heartbeat — connections and busiest channels as the node itself counted them. The heartbeat is kept
 * in the PresenceStore (NodeRecord.status), so with several presence instances (Redis) any of them answers
 * for every node, whichever instance consumed the heartbeat. A node is live by the rule the sweep expires
 * nodes with: its last sign of life is younger than max(minimum lease, the heartbeat's lease_ms).
 */
import { switchboard } from '@switchboard/protocol';
import type { NodeRecord } from './presence-store.js';

export interface ChannelLoad {
  readonly channel: string;
  readonly subscribers: number;
}

export interface NodeView {
  readonly nodeId: string;
  /** The node's own count from its last heartbeat (else the connections the store holds for it). */
  readonly connections: number;
  readonly startedAtMs: number;
  readonly leaseMs: number;
  /** Service clock of the last heartbeat (0: none yet). */
  readonly lastHeartbeatMs: number;
  readonly busiestChannels: ChannelLoad[];
}

/** Channels shown per node at most, whatever a heartbeat carries (the edge sends 10). */
export const MAX_NODE_CHANNELS = 10;

/** The live nodes of `records` at `nowMs`, ordered by node id. */
export function liveNodes(records: readonly NodeRecord[], nowMs: number, minLeaseMs: number): NodeView[] {
  return records
    .filter((r) => (r.lastHeartbeatMs || r.firstSeenMs) + Math.max(minLeaseMs, r.leaseMs) > nowMs)
    .map(viewOf)
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

function viewOf(record: NodeRecord): NodeView {
  const heartbeat = decodeStatus(record.status);
  return {
    nodeId: record.nodeId,
    connections: heartbeat ? (heartbeat.connections ?? 0) : record.connections,
    startedAtMs: Number(heartbeat?.startedAtMs ?? 0),
    leaseMs: record.leaseMs,
    lastHeartbeatMs: record.lastHeartbeatMs,
    busiestChannels: (heartbeat?.busiestChannels ?? [])
      .filter((c) => c.channel)
      .slice(0, MAX_NODE_CHANNELS)
      .map((c) => ({ channel: c.channel ?? '', subscribers: c.subscribers ?? 0 })),
  };
}

/** A status that does not decode (written by a future version, say) shows the node without its details. */
function decodeStatus(status: Uint8Array | undefined): switchboard.v1.NodeHeartbeat | undefined {
  if (!status) return undefined;
  try {
    return switchboard.v1.NodeHeartbeat.decode(status);
  } catch {
    return undefined;
  }
}
