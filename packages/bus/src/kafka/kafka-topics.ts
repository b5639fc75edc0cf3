/**
 * Creates the transport's topics on first use, through one shared admin client. Idempotent: a topic that
 * already exists (TOPIC_ALREADY_EXISTS, or created by another process meanwhile) counts as created.
 *
 * "Created" is not enough: kafkajs' createTopics waits for leaders only when it created the topic itself.
 * When a first attempt failed while waiting for leaders (the broker does not serve the new topic's metadata
 * yet) the retry answers TOPIC_ALREADY_EXISTS and resolves at once, possibly seconds before the broker
 * serves the topic; a consumer subscribing then fails with UNKNOWN_TOPIC_OR_PARTITION (kafkajs does not
 * retry that). So ensure() resolves only once the topic's metadata is served with a leader per partition.
 */
import type { Admin } from 'kafkajs';
import type { TopicBound } from '../backlog.js';
import { BusUnavailableError } from '../errors.js';
import { isTransientKafkaError } from './kafka-errors.js';
import { errorMessage } from './kafka-log.js';
import { type Replication, replicationConfig } from './kafka-replication.js';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Topic configuration set at creation only (an existing topic keeps its own). */
  readonly configEntries?: readonly { readonly name: string; readonly value: string }[];
}

/** The spec of a work topic: a bounded topic (backlog.ts) gets `retention.ms` = maxAgeMs. */
export function workTopicSpec(
  kafkaTopic: string,
  partitions: number,
  bound: TopicBound | undefined,
): TopicSpec {
  if (bound?.maxAgeMs === undefined) return { topic: kafkaTopic, partitions };
  return {
    topic: kafkaTopic,
    partitions,
    configEntries: [{ name: 'retention.ms', value: String(bound.maxAgeMs) }],
  };
}

const CREATE_ATTEMPTS = 40;
/** How long a topic's partition count is used before it is read again (kafkajs' own metadata max age). */
const PARTITION_COUNT_MAX_AGE_MS = 300_000;
const CREATE_RETRY_MS = 250;

/** The topic exists but the broker does not serve it with leaders yet: transient (isTransientKafkaError). */
class TopicNotServedError extends Error {
  override readonly name = 'KafkaJSTopicNotServed';
  readonly retriable = true;
  constructor(topic: string) {
    super(`topic ${topic} has no leader for every partition yet`);
  }
}

/** A single copy: what a registry without a replication source creates (one broker). */
const SINGLE_COPY: Replication = { replicationFactor: 1, minInsyncReplicas: 1 };

export class TopicRegistry {
  readonly #admin: () => Promise<Admin>;
  readonly #delay: (ms: number) => Promise<void>;
  readonly #replication: () => Promise<Replication>;
  readonly #ensured = new Map<string, Promise<void>>();
  readonly #partitionCounts = new Map<string, { readonly count: number; readonly readAt: number }>();
  readonly #reading = new Map<string, Promise<number>>();

  /** `replication` says how many copies new topics get (kafka-replication.ts); one when absent. */
  constructor(
    admin: () => Promise<Admin>,
    delay: (ms: number) => Promise<void>,
    replication: () => Promise<Replication> = async () => SINGLE_COPY,
  ) {
    this.#admin = admin;
    this.#delay = delay;
    this.#replication = replication;
  }

  /** Resolves once the topic exists and has leaders. A failure is not cached: the next call tries again. */
  ensure(spec: TopicSpec): Promise<void> {
    let pending = this.#ensured.get(spec.topic);
    if (!pending) {
      pending = this.#create(spec);
      this.#ensured.set(spec.topic, pending);
      pending.catch(() => this.#ensured.delete(spec.topic));
    }
    return pending;
  }

  /**
   * The topic's partition count (the publisher partitions by key itself). Read from the broker, then reused;
   * once older than PARTITION_COUNT_MAX_AGE_MS it is read again in the background, the known count serving
   * meanwhile (also while the broker does not answer). Rejects only while no count is known yet.
   */
  partitionCount(topic: string): Promise<number> {
    const known = this.#partitionCounts.get(topic);
    if (known && Date.now() - known.readAt < PARTITION_COUNT_MAX_AGE_MS) return Promise.resolve(known.count);
    let reading = this.#reading.get(topic);
    if (!reading) {
      reading = this.#readPartitionCount(topic).finally(() => this.#reading.delete(topic));
      this.#reading.set(topic, reading);
    }
    if (!known) return reading;
    reading.catch(() => undefined);
    return Promise.resolve(known.count);
  }

  async #readPartitionCount(topic: string): Promise<number> {
    const admin = await this.#admin();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count === 0) throw new TopicNotServedError(topic);
    this.#partitionCounts.set(topic, { count, readAt: Date.now() });
    return count;
  }

  async #create(spec: TopicSpec): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const admin = await this.#admin();
        const replication = await this.#replication();
        // Resolves false (no throw) when the topic exists already.
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: spec.topic,
              numPartitions: spec.partitions,
              replicationFactor: replication.replicationFactor,
              configEntries: [
                ...(spec.configEntries ?? []).map((entry) => ({ ...entry })),
                ...replicationConfig(replication),
              ],
            },
          ],
        });
        // Throws UNKNOWN_TOPIC_OR_PARTITION (retriable) while the broker does not serve the topic yet.
        const { topics } = await admin.fetchTopicMetadata({ topics: [spec.topic] });
        const partitions = topics.find((t) => t.name === spec.topic)?.partitions ?? [];
        if (partitions.length === 0 || partitions.some((p) => p.leader < 0)) {
          throw new TopicNotServedError(spec.topic);
        }
        this.#partitionCounts.set(spec.topic, { count: partitions.length, readAt: Date.now() });
        return;
      } catch (error) {
        // Right after creation the broker may not serve the new topic's metadata yet
        // (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, no leader): transient, try again.
        if (attempt >= CREATE_ATTEMPTS || !isTransientKafkaError(error)) {
          throw new BusUnavailableError(`cannot create topic ${spec.topic}: ${errorMessage(error)}`, {
            cause: error,
          });
        }
        await this.#delay(CREATE_RETRY_MS);
      }
    }
  }
}
