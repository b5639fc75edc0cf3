/**
 * consumeDeadLetters on Kafka: reads `sb.dlq.<topic>.<group>` from the beginning in its own group
 * `sb.dlq-reader.<group>.<topic>`, committing each letter after the handler settles. A failing dead-letter
 * handler is logged and the letter committed: the dead-letter stream must not jam on its own poison.
 */
import type { EachMessagePayload } from 'kafkajs';
import type { Closable, DeadLetter, DeadLetterHandler } from '../transport.js';
import { GroupConsumer, type GroupConsumerDeps } from './group-consumer.js';
import { headerText, recordBytes } from './kafka-headers.js';
import { errorMessage } from './kafka-log.js';
import {
  deadLetterGroup,
  deadLetterTopic,
  HEADER_ATTEMPTS,
  HEADER_ERROR,
  HEADER_KEY,
} from './kafka-names.js';
import type { TopicRegistry } from './kafka-topics.js';

export interface DeadLetterDeps extends GroupConsumerDeps {
  readonly topics: TopicRegistry;
}

/** Rebuilds a DeadLetter from a record of the dead-letter topic. */
export function decodeDeadLetter(
  topic: string,
  group: string,
  message: EachMessagePayload['message'],
): DeadLetter {
  const attempts = Number.parseInt(headerText(message.headers, HEADER_ATTEMPTS) ?? '', 10);
  return {
    topic,
    group,
    key: headerText(message.headers, HEADER_KEY) ?? message.key?.toString('utf8') ?? '',
    bytes: recordBytes(message.value),
    attempts: Number.isFinite(attempts) ? attempts : 0,
    error: headerText(message.headers, HEADER_ERROR) ?? '',
  };
}

export async function startDeadLetterConsumer(
  deps: DeadLetterDeps,
  topic: string,
  group: string,
  handler: DeadLetterHandler,
): Promise<Closable> {
  const kafkaTopic = deadLetterTopic(topic, group);
  await deps.topics.ensure({ topic: kafkaTopic, partitions: 1 });
  return GroupConsumer.start(deps, {
    groupId: deadLetterGroup(topic, group),
    topic: kafkaTopic,
    fromBeginning: true,
    autoCommit: false,
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ partition, message }, consumer) => {
      const letter = decodeDeadLetter(topic, group, message);
      const settled = Promise.resolve()
        .then(() => handler(letter))
        .catch((error: unknown) => {
          deps.logger.warn({ topic, group, error: errorMessage(error) }, 'dead-letter handler failed');
        });
      await Promise.race([settled, consumer.stopped]);
      if (consumer.closing) return;
      await consumer.commit(partition, message.offset).catch((error: unknown) => {
        deps.logger.warn({ topic, group, error: errorMessage(error) }, 'dead-letter commit failed');
      });
    },
  });
}
