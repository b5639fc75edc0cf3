/**
 * How many copies of each topic a Kafka cluster keeps (issue 16). Topics the transport creates get a
 * replication factor and `min.insync.replicas`; with `acks=-1` (every publish) a publish is confirmed only
 * once that many in-sync replicas have it, so losing one broker of three loses no confirmed message.
 *
 * Defaults follow the cluster's size, read once when the first topic is created: three brokers or more →
 * 3 copies, 2 in sync; fewer → one copy per broker, 1 in sync (a single-node broker keeps working exactly as
 * before). Set either explicitly on the bus URL (`kafka://a:9092,b:9092,c:9092?replication=3&min_insync=2`).
 * Only at creation: an existing topic keeps its settings (change them with kafka-topics.sh / kafka-configs.sh,
 * docs/operations.md).
 */
import { BusNameError } from '../errors.js';

export interface Replication {
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

export interface ReplicationOption {
  readonly replicationFactor?: number;
  readonly minInsyncReplicas?: number;
}

/** The settings for a cluster of `brokers` brokers, `chosen` ones taking precedence. */
export function replicationFor(brokers: number, chosen: ReplicationOption = {}): Replication {
  const replicationFactor = chosen.replicationFactor ?? Math.max(1, Math.min(3, brokers));
  const minInsyncReplicas = chosen.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : 1);
  if (replicationFactor > brokers)
    throw new BusNameError(
      `Kafka replication=${replicationFactor} needs at least ${replicationFactor} brokers, the cluster has ${brokers}: lower it on the bus URL or add brokers`,
    );
  if (minInsyncReplicas > replicationFactor)
    throw new BusNameError(
      `Kafka min_insync=${minInsyncReplicas} is above replication=${replicationFactor}: every publish would be refused; use at most ${replicationFactor}`,
    );
  return { replicationFactor, minInsyncReplicas };
}

/** Topic config entries that go with `replication` (none on a single copy: the broker default is 1). */
export function replicationConfig(replication: Replication): { name: string; value: string }[] {
  return replication.replicationFactor > 1
    ? [{ name: 'min.insync.replicas', value: String(replication.minInsyncReplicas) }]
    : [];
}

const positive = (raw: string | null, name: string, url: string): number | undefined => {
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new BusNameError(`bus URL "${url}": ${name}=${raw} is not a whole number above 0 (e.g. ${name}=3)`);
  return value;
};

/** `?replication=3&min_insync=2` of a kafka:// URL; anything else in the query is refused, naming it. */
export function replicationOfQuery(query: string, url: string): ReplicationOption {
  const params = new URLSearchParams(query);
  for (const key of params.keys())
    if (key !== 'replication' && key !== 'min_insync')
      throw new BusNameError(
        `bus URL "${url}": unknown parameter "${key}" (kafka:// takes replication, min_insync)`,
      );
  const replicationFactor = positive(params.get('replication'), 'replication', url);
  const minInsyncReplicas = positive(params.get('min_insync'), 'min_insync', url);
  return {
    ...(replicationFactor !== undefined ? { replicationFactor } : {}),
    ...(minInsyncReplicas !== undefined ? { minInsyncReplicas } : {}),
  };
}
