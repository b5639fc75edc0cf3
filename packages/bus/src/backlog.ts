/**
 * Backlog bounds of work topics (DESIGN.md "Durable queues that nothing may consume for a while carry a
 * length/TTL bound"). A bound belongs to the *topic*, not to a call: it must be applied identically wherever
 * the topic's storage is declared or written — RabbitMQ declares queues in the consumer, Redis trims streams
 * in the publisher, Kafka creates the topic in whichever process uses it first. So it is a transport option
 * (`topicBounds`) that every process gets from the same defaults, rather than an argument of publishWork or
 * consumeWork that the edge (publisher) and each service (consumer) would have to repeat and keep in step.
 *
 * Only `lifecycle` is bounded by default: its events are superseded by the edges' heartbeats and
 * re-announcements, so dropping the oldest when nobody reads them is safe (presence and notifications
 * converge within one lease, see their services). Work of other topics (chat, history, orders…) is never
 * dropped unless an operator bounds it explicitly.
 *
 * Overflow: the oldest messages go first (drop-head). Where the bound counts messages it is per consumer
 * group on RabbitMQ and memory (each group has its own queues) and per topic on Redis (all groups share the
 * streams), split evenly over the topic's shard queues / streams.
 */
import { ServiceNames } from '@switchboard/protocol';

export interface TopicBound {
  /**
   * Most messages kept for one consumer group (RabbitMQ, memory) or for the topic (Redis); past it the oldest
   * are dropped. Split over the shard queues/streams (ceil(maxMessages / shards) each). Kafka ignores it
   * (a log has no message count bound; it uses maxAgeMs).
   */
  readonly maxMessages?: number;
  /** Messages older than this are dropped unread (RabbitMQ x-message-ttl, Kafka retention.ms). */
  readonly maxAgeMs?: number;
}

export const LIFECYCLE_TOPIC_NAME = ServiceNames.lifecycle;

/**
 * 200,000 lifecycle events (~40 MB of bodies per group at ~200 bytes each) hold several minutes of the worst
 * connect churn measured (394,000 events over many runs), and an hour covers a service restart or deploy
 * with room to spare; a longer absence is repaired by the heartbeats, not by the backlog.
 */
export const DEFAULT_LIFECYCLE_BOUND: TopicBound = Object.freeze({
  maxMessages: 200_000,
  maxAgeMs: 3_600_000,
});

export const DEFAULT_TOPIC_BOUNDS: Readonly<Record<string, TopicBound>> = Object.freeze({
  [LIFECYCLE_TOPIC_NAME]: DEFAULT_LIFECYCLE_BOUND,
});

/** What a transport option says: bounds per topic; `null` removes a default bound. */
export type TopicBoundsOption = Readonly<Record<string, TopicBound | null>>;

/**
 * The `topicBounds` option for the lifecycle topic from two settings where 0 means "no bound of this kind"
 * (SWITCHBOARD_LIFECYCLE_MAX_BACKLOG / SWITCHBOARD_LIFECYCLE_MAX_AGE_MS in the processes' config); both 0
 * leaves the topic unbounded.
 */
export function lifecycleBounds(settings: { maxMessages: number; maxAgeMs: number }): TopicBoundsOption {
  const bound: { maxMessages?: number; maxAgeMs?: number } = {};
  if (settings.maxMessages > 0) bound.maxMessages = settings.maxMessages;
  if (settings.maxAgeMs > 0) bound.maxAgeMs = settings.maxAgeMs;
  return { [LIFECYCLE_TOPIC_NAME]: bound.maxMessages || bound.maxAgeMs ? bound : null };
}

/** The defaults merged with the option (the option wins per topic), validated and frozen. */
export function resolveTopicBounds(option?: TopicBoundsOption): ReadonlyMap<string, TopicBound> {
  const merged = new Map<string, TopicBound>(Object.entries(DEFAULT_TOPIC_BOUNDS));
  for (const [topic, bound] of Object.entries(option ?? {})) {
    if (bound === null) {
      merged.delete(topic);
      continue;
    }
    for (const [name, value] of Object.entries(bound)) {
      if (value !== undefined && !(Number.isInteger(value) && value > 0))
        throw new RangeError(`topicBounds.${topic}.${name} must be a positive integer, got ${value}`);
    }
    if (bound.maxMessages === undefined && bound.maxAgeMs === undefined)
      throw new RangeError(
        `topicBounds.${topic} sets neither maxMessages nor maxAgeMs: give one, or null to leave the topic unbounded`,
      );
    merged.set(topic, Object.freeze({ ...bound }));
  }
  return merged;
}

/** The per-queue (per-stream) share of a message bound split over `parts` shards. */
export function perShard(maxMessages: number, parts: number): number {
  return Math.max(1, Math.ceil(maxMessages / parts));
}

/** The RabbitMQ policy that applies a bound without re-declaring queues (the migration path). */
export function rabbitPolicyCommand(topic: string, bound: TopicBound, shards: number): string {
  const definition: Record<string, unknown> = {};
  if (bound.maxMessages !== undefined) {
    definition['max-length'] = perShard(bound.maxMessages, shards);
    definition.overflow = 'drop-head';
  }
  if (bound.maxAgeMs !== undefined) definition['message-ttl'] = bound.maxAgeMs;
  // Topic names are letters, digits, _ and - (routes.ts): only the dots need escaping.
  const pattern = `^sb\\.work\\.${topic}\\.`;
  return `rabbitmqctl set_policy sb-${topic}-backlog '${pattern}' '${JSON.stringify(definition)}' --apply-to queues`;
}
