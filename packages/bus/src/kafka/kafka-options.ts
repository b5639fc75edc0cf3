/** Options of the Kafka transport, with named defaults. Library code: nothing here reads the environment. */

import { resolveTopicBounds, type TopicBound, type TopicBoundsOption } from '../backlog.js';
import type { BusLogger } from './kafka-log.js';
import type { ReplicationOption } from './kafka-replication.js';

export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Kafka client id (shows in broker logs and quotas). Default `switchboard`. */
  readonly clientId?: string;
  /** pino-like logger; kafkajs logs are routed into it. Default silent. */
  readonly logger?: BusLogger;
  /** Partitions of a work topic when this transport creates it. Default 8. */
  readonly workPartitions?: number;
  /** How long a publish waits for an unreachable broker before rejecting with BusUnavailableError. Default 10 s. */
  readonly publishTimeoutMs?: number;
  /**
   * Consumer group session timeout (the broker bounds it by group.min/max.session.timeout.ms). Default 10 s:
   * a killed instance's partitions move to a live one within about this, the same bound as the edge's
   * request timeout (kafkajs' 30 s would leave a killed instance's requests answered with timeouts).
   */
  readonly sessionTimeoutMs?: number;
  /** How long a rebalance waits for members to rejoin (e.g. one stuck in a handler). Default 60 s. */
  readonly rebalanceTimeoutMs?: number;
  /** Consumer heartbeat interval. Default 3 s. */
  readonly heartbeatIntervalMs?: number;
  /** Fetch long-poll wait; an idle consumer notices a rebalance within about this. Default 1 s. */
  readonly maxWaitTimeMs?: number;
  /** How long consumeWork/openNode wait for the first partition assignment before resolving anyway. Default 60 s. */
  readonly joinTimeoutMs?: number;
  /** TCP connect timeout. Default 3 s. */
  readonly connectionTimeoutMs?: number;
  /**
   * Publishes to one topic issued while a produce request is in flight go out together in the next one, up to
   * about this many bytes (a larger message goes alone). Keep it below the broker's `message.max.bytes`
   * (1 MiB by default), which bounds a whole record batch. Default 512 KiB.
   */
  readonly publishBatchMaxBytes?: number;
  /**
   * Backlog bounds per work topic, merged over the default (`lifecycle`: 1 h); `null` removes one. A bounded
   * topic is created with `retention.ms` = maxAgeMs (a log has no message-count bound: maxMessages does not
   * apply). Only at creation: an existing topic keeps its configuration (backlog.ts, docs/operations.md).
   */
  readonly topicBounds?: TopicBoundsOption;
  /**
   * Copies per topic the transport creates, and `min.insync.replicas`. Default from the cluster's size
   * (kafka-replication.ts): 3 / 2 with three brokers or more, else one copy per broker / 1.
   */
  readonly replication?: ReplicationOption;
}

export interface ResolvedKafkaOptions {
  readonly brokers: string[];
  readonly clientId: string;
  readonly workPartitions: number;
  readonly publishTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly joinTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly publishBatchMaxBytes: number;
  readonly topicBounds: ReadonlyMap<string, TopicBound>;
  readonly replication: ReplicationOption;
}

export const KAFKA_DEFAULTS = {
  clientId: 'switchboard',
  workPartitions: 8,
  publishTimeoutMs: 10_000,
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 60_000,
  heartbeatIntervalMs: 3_000,
  maxWaitTimeMs: 1_000,
  joinTimeoutMs: 60_000,
  connectionTimeoutMs: 3_000,
  publishBatchMaxBytes: 512 * 1024,
} as const;

export function resolveKafkaOptions(options: KafkaTransportOptions): ResolvedKafkaOptions {
  if (options.brokers.length === 0) throw new TypeError('KafkaTransport needs at least one broker');
  const resolved: ResolvedKafkaOptions = {
    brokers: [...options.brokers],
    clientId: options.clientId ?? KAFKA_DEFAULTS.clientId,
    workPartitions: options.workPartitions ?? KAFKA_DEFAULTS.workPartitions,
    publishTimeoutMs: options.publishTimeoutMs ?? KAFKA_DEFAULTS.publishTimeoutMs,
    sessionTimeoutMs: options.sessionTimeoutMs ?? KAFKA_DEFAULTS.sessionTimeoutMs,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? KAFKA_DEFAULTS.rebalanceTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? KAFKA_DEFAULTS.heartbeatIntervalMs,
    maxWaitTimeMs: options.maxWaitTimeMs ?? KAFKA_DEFAULTS.maxWaitTimeMs,
    joinTimeoutMs: options.joinTimeoutMs ?? KAFKA_DEFAULTS.joinTimeoutMs,
    connectionTimeoutMs: options.connectionTimeoutMs ?? KAFKA_DEFAULTS.connectionTimeoutMs,
    publishBatchMaxBytes: options.publishBatchMaxBytes ?? KAFKA_DEFAULTS.publishBatchMaxBytes,
    topicBounds: resolveTopicBounds(options.topicBounds),
    replication: { ...options.replication },
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && !(Number.isInteger(value) && value > 0)) {
      throw new TypeError(`KafkaTransport option ${name} must be a positive integer, got ${value}`);
    }
  }
  for (const [name, value] of Object.entries(resolved.replication)) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new TypeError(
        `KafkaTransport option replication.${name} must be a positive integer, got ${value}`,
      );
    }
  }
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    throw new TypeError('KafkaTransport option heartbeatIntervalMs must be lower than sessionTimeoutMs');
  }
  return Object.freeze(resolved);
}
