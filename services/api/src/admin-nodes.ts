/**
 * `GET /v1/admin/nodes`: the presence service's `presence.nodes` answer (a Reply whose payload is a
 * NodesResult) as JSON, plus the busiest channels across nodes. Each node reports only its own top channels
 * (NodeHeartbeat.busiest_channels), so the cross-node sum is a lower bound for a channel that is busy on
 * one node but outside the top list of another; `nodes` says on how many nodes it was counted.
 */
import { type Delivery, ErrorCodes, errorByWire, PresenceTypes, switchboard } from '@switchboard/protocol';
import { HttpError } from './errors.js';
import { throwIfError } from './results.js';

/** Channels `busiestChannels` lists at most. */
export const MAX_BUSIEST_CHANNELS = 20;

export interface NodeJson {
  readonly nodeId: string;
  readonly connections: number;
  readonly startedAtMs: number;
  readonly leaseMs: number;
  readonly lastHeartbeatMs: number;
  readonly busiestChannels: { channel: string; subscribers: number }[];
}

export interface ChannelJson {
  readonly channel: string;
  readonly subscribers: number;
  readonly nodes: number;
}

export interface NodesJson {
  readonly nodes: NodeJson[];
  readonly connections: number;
  readonly busiestChannels: ChannelJson[];
}

export function nodesJson(delivery: Delivery): NodesJson {
  throwIfError(delivery, 'presence');
  const reply = delivery.body === 'reply' ? delivery.reply : undefined;
  if (reply?.error) {
    const spec = errorByWire(reply.error.code ?? 0);
    throw new HttpError(ErrorCodes.ServiceError, reply.error.message || spec?.message || 'presence failed');
  }
  if (!reply || reply.type !== PresenceTypes.nodes)
    throw new HttpError(
      ErrorCodes.ServiceError,
      `presence service answered with ${reply?.type || delivery.body || 'nothing'}, not ${PresenceTypes.nodes}`,
    );
  let result: switchboard.v1.NodesResult;
  try {
    result = switchboard.v1.NodesResult.decode(reply.payload ?? new Uint8Array(0));
  } catch {
    throw new HttpError(ErrorCodes.ServiceError, 'presence service answered with an undecodable node list');
  }
  const nodes = (result.nodes ?? []).map((n) => ({
    nodeId: n.nodeId ?? '',
    connections: n.connections ?? 0,
    startedAtMs: Number(n.startedAtMs ?? 0),
    leaseMs: n.leaseMs ?? 0,
    lastHeartbeatMs: Number(n.lastHeartbeatMs ?? 0),
    busiestChannels: (n.busiestChannels ?? []).map((c) => ({
      channel: c.channel ?? '',
      subscribers: c.subscribers ?? 0,
    })),
  }));
  return {
    nodes,
    connections: nodes.reduce((sum, n) => sum + n.connections, 0),
    busiestChannels: busiestAcross(nodes),
  };
}

function busiestAcross(nodes: readonly NodeJson[]): ChannelJson[] {
  const totals = new Map<string, { subscribers: number; nodes: number }>();
  for (const node of nodes)
    for (const { channel, subscribers } of node.busiestChannels) {
      const total = totals.get(channel) ?? { subscribers: 0, nodes: 0 };
      total.subscribers += subscribers;
      total.nodes += 1;
      totals.set(channel, total);
    }
  return [...totals]
    .map(([channel, total]) => ({ channel, ...total }))
    .sort((a, b) => b.subscribers - a.subscribers || (a.channel < b.channel ? -1 : 1))
    .slice(0, MAX_BUSIEST_CHANNELS);
}
