/**
 * consumeWork on Kafka: one kafkajs consumer per call in group `sb.<group>.<topic>`. Partitions are handled
 * one message at a time (so order per key holds: a key always maps to one partition), up to `prefetch`
 * partitions in parallel. The offset is committed after the handler resolves, without holding up the
 * partition's next message (offset-committer.ts: one commit in flight per partition, coalesced). A
 * failing handler is retried in place (attempt 1..maxAttempts, later messages of the partition wait), then
 * the message goes to `sb.dlq.<topic>.<group>` and is committed. On close an in-flight handler is abandoned
 * uncommitted, so the group's next owner of the partition gets it again; what was handled is committed.
 *
 * New groups start at the earliest retained offset: a partition without a committed offset is read from
 * the beginning, so nothing published before the first member joined (or before a first member died
 * without committing) is skipped. Topics are created on first use, so "earliest" is the topic's birth.
 */
import type { EachMessagePayload } from 'kafkajs';
import type { Closable, WorkConsumerOptions, WorkHandler, WorkMessage } from '../transport.js';
import { GroupConsumer, type GroupConsumerDeps } from './group-consumer.js';
import { headerText, recordBytes } from './kafka-headers.js';
import { errorMessage } from './kafka-log.js';
import {
  deadLetterTopic,
  HEADER_ATTEMPTS,
  HEADER_ERROR,
  HEADER_GROUP,
  HEADER_KEY,
  HEADER_TOPIC,
  workGroup,
  workTopic,
} from './kafka-names.js';
import type { KafkaPublisher } from './kafka-publisher.js';
import { type TopicRegistry, workTopicSpec } from './kafka-topics.js';
import { OffsetCommitter } from './offset-committer.js';

const DEFAULT_PREFETCH = 16;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEAD_LETTER_RETRY_MS = 1_000;
const CLOSE_COMMIT_WAIT_MS = 5_000;

export interface WorkConsumerDeps extends GroupConsumerDeps {
  readonly topics: TopicRegistry;
  readonly publisher: KafkaPublisher;
}

type Outcome = { kind: 'handled' } | { kind: 'failed'; error: string } | { kind: 'abandoned' };

export async function startWorkConsumer(
  deps: WorkConsumerDeps,
  topic: string,
  options: WorkConsumerOptions,
  handler: WorkHandler,
): Promise<Closable> {
  const kafkaTopic = workTopic(topic);
  const groupId = workGroup(topic, options.group);
  const dlq = deadLetterTopic(topic, options.group);
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const prefetch = Math.max(1, options.prefetch ?? DEFAULT_PREFETCH);
  await deps.topics.ensure(
    workTopicSpec(kafkaTopic, deps.options.workPartitions, deps.options.topicBounds.get(topic)),
  );
  await deps.topics.ensure({ topic: dlq, partitions: 1 });

  const handleOnce = (consumer: GroupConsumer, message: WorkMessage, heartbeat: () => Promise<void>) => {
    // Keep the group session alive while a slow handler runs (kafkajs only heartbeats between messages).
    const stopBeating = deps.timers.every(deps.options.heartbeatIntervalMs, () => {
      heartbeat().catch(() => undefined); // a rebalance shows up here; kafkajs rejoins after this message
    });
    const run = Promise.resolve()
      .then(() => handler(message))
      .then(
        (): Outcome => ({ kind: 'handled' }),
        (error: unknown): Outcome => ({ kind: 'failed', error: errorMessage(error) }),
      );
    const abandoned = consumer.stopped.then((): Outcome => ({ kind: 'abandoned' }));
    return Promise.race([run, abandoned]).finally(stopBeating);
  };

  const deadLetter = async (
    consumer: GroupConsumer,
    payload: EachMessagePayload,
    key: string,
    attempts: number,
    error: string,
  ) => {
    const { message } = payload;
    const headers = {
      [HEADER_KEY]: key,
      [HEADER_ATTEMPTS]: String(attempts),
      [HEADER_ERROR]: error,
      [HEADER_TOPIC]: topic,
      [HEADER_GROUP]: options.group,
    };
    while (!consumer.closing) {
      try {
        await deps.publisher.send(dlq, [{ key: message.key, value: message.value, headers }]);
        return true;
      } catch (sendError) {
        deps.logger.warn(
          { topic, group: options.group, error: errorMessage(sendError) },
          'cannot dead-letter yet',
        );
        if ((sendError as { code?: string }).code !== 'SB_ERR_BUS_UNAVAILABLE') {
          deps.logger.error(
            { topic, group: options.group, offset: message.offset },
            'dead letter refused, dropping it',
          );
          return true;
        }
        await deps.timers.delay(DEAD_LETTER_RETRY_MS);
      }
    }
    return false;
  };

  // Made on the first message: the GroupConsumer it commits through is handed to eachMessage, and messages
  // may arrive before GroupConsumer.start() has returned it.
  let committer: OffsetCommitter | undefined;
  const committerOf = (consumer: GroupConsumer) =>
    (committer ??= new OffsetCommitter(
      (partition, offset) => consumer.commit(partition, offset),
      (partition, offset, error) =>
        // The next owner of the partition gets the message again: at least once.
        deps.logger.warn(
          { topic, group: options.group, partition, offset, error: errorMessage(error) },
          'commit failed',
        ),
    ));

  const eachMessage = async (payload: EachMessagePayload, consumer: GroupConsumer): Promise<void> => {
    const { partition, message } = payload;
    const key = message.key?.toString('utf8') ?? headerText(message.headers, HEADER_KEY) ?? '';
    const bytes = recordBytes(message.value);
    for (let attempt = 1; ; attempt++) {
      if (consumer.closing) return;
      const work: WorkMessage = { topic, key, bytes, attempt, redelivered: false };
      const outcome = await handleOnce(consumer, work, payload.heartbeat);
      if (outcome.kind === 'abandoned') return; // closing: leave it uncommitted for the next owner
      if (outcome.kind === 'failed') {
        deps.logger.debug(
          { topic, group: options.group, key, attempt, error: outcome.error },
          'work handler failed',
        );
        if (attempt < maxAttempts) continue;
        if (!(await deadLetter(consumer, payload, key, attempt, outcome.error))) return;
      }
      break;
    }
    committerOf(consumer).handled(partition, message.offset);
  };

  const group = await GroupConsumer.start(deps, {
    groupId,
    topic: kafkaTopic,
    fromBeginning: true,
    autoCommit: false,
    partitionsConsumedConcurrently: Math.min(prefetch, deps.options.workPartitions),
    eachMessage,
  });
  return {
    // Stop handling, then commit what was handled before leaving the group, so that the next owner does
    // not handle it again; bounded, as a broker that is away would hold the close for the client's whole
    // retry budget.
    close: () =>
      group.close(async () => {
        if (committer) await deps.timers.race(committer.flush(), CLOSE_COMMIT_WAIT_MS, () => undefined);
      }),
  };
}
