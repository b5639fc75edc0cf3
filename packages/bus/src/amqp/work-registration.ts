/**
 * What the parts of one consumeWork() registration share (work-consumer.ts builds it): the topic and group,
 * the transport's options, whether the registration is closed, the delivery code, and how the group's
 * durable queues are declared — the same for ordered and unordered groups.
 */
import type { ResolvedOptions } from './options.js';
import type { DurableQueueSettings } from './queue-declarer.js';
import type { Session } from './session.js';
import type { WorkDelivery } from './work-delivery.js';

export interface WorkRegistration {
  readonly options: ResolvedOptions;
  readonly topic: string;
  readonly group: string;
  /** Messages the instance handles at once (split over the shards it owns, for ordered groups). */
  readonly prefetch: number;
  readonly delivery: WorkDelivery;
  /** True once close() was called: nothing new starts, nothing more is acked. */
  readonly closed: () => boolean;
}

/** How the group's durable queues are declared (queue-declarer.ts), probing through short-lived channels. */
export function queueSettings(work: WorkRegistration, session: Session): DurableQueueSettings {
  return {
    queueType: work.options.queueType,
    deliveryLimit: work.options.deliveryLimit,
    bound: work.options.topicBounds.get(work.topic),
    // Not session.openChannel: its error listener would log the expected 406 of a legacy queue as a
    // channel failure; declareWorkGroup reports that itself, once per group.
    openChannel: async () => {
      const channel = await session.connection.createChannel();
      channel.on('error', () => undefined);
      return channel;
    },
    logger: work.options.logger,
  };
}
