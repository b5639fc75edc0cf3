/**
 * What happens to one work entry once this consumer holds it, ordered or not: a handler that resolves is
 * followed by XACK; one that rejects is retried in process after a backoff, each retry first XCLAIMing the
 * entry to itself so Redis' delivery counter (XPENDING times-delivered) counts the attempt — the count
 * survives a crash, and the next instance continues it. At maxAttempts the entry goes to
 * `sb:dlq:<topic>:<group>` and is acked in the same MULTI; so does an entry without a body, and one
 * delivered more often than allowed without an ack (its consumers died on it).
 */
import { deadLetterStream, FIELD } from './redis-names.js';
import { entryBytes, entryKey, type StreamEntry } from './redis-streams.js';
import type { Queued, WorkContext } from './work-context.js';

/** The dead-letter error of a work entry without the `b` (body) field. */
export const MISSING_BODY = `work entry has no "${FIELD.bytes}" field (the message body): write it as XADD <stream> * ${FIELD.key} <key> ${FIELD.bytes} <bytes> (docs/bus-contract.md)`;

/**
 * Handles one entry to the end: ack, retry, or dead letter. `abandoned()` tells that the entry no longer
 * belongs to this instance (close, lost lease): then nothing more is written for it.
 */
export async function deliver(
  context: WorkContext,
  stream: string,
  item: Queued,
  abandoned: () => boolean,
): Promise<void> {
  const { redis, group, topic, maxAttempts, handler, options, logger } = context.config;
  const { entry } = item;
  try {
    if (!entry.fields) {
      await redis.call('XACK', stream, group, entry.id); // trimmed while pending: nothing left to handle
      return;
    }
    if (!entry.fields.has(FIELD.bytes)) {
      // Written by hand without the body field (docs/bus-contract.md): handing the handler empty bytes
      // would make it drop the message as malformed; a dead letter keeps it visible and recoverable.
      await deadLetter(context, stream, entry, 0, MISSING_BODY);
      return;
    }
    const key = entryKey(entry);
    const bytes = entryBytes(entry);
    let attempt = item.attempt;
    if (attempt > maxAttempts) {
      // Delivered more often than allowed without an ack: its consumers died on it.
      await deadLetter(context, stream, entry, attempt - 1, `delivered ${attempt - 1} times without an ack`);
      return;
    }
    for (;;) {
      try {
        await handler({ topic, key, bytes, attempt, redelivered: item.redelivered });
        if (abandoned()) return;
        await redis.call('XACK', stream, group, entry.id);
        return;
      } catch (error) {
        if (abandoned()) return;
        const message = error instanceof Error ? error.message : String(error);
        if (attempt >= maxAttempts) {
          await deadLetter(context, stream, entry, attempt, message);
          return;
        }
        logger.warn({ topic, group, key, attempt, err: error }, 'work handler failed; retrying');
        await context.timers.sleep(
          Math.min(options.retryDelayMs * 2 ** (attempt - 1), options.maxRetryDelayMs),
        );
        if (abandoned()) return;
        // Claiming it again counts the attempt in Redis (times-delivered) and resets its idle time.
        await redis.call('XCLAIM', stream, group, context.name, 0, entry.id);
        attempt++;
      }
    }
  } catch (error) {
    // Redis failed under us: the entry stays pending and is delivered again later.
    if (!context.closed()) logger.warn({ err: error, topic, group }, 'redis work ack failed');
  }
}

async function deadLetter(
  context: WorkContext,
  stream: string,
  entry: StreamEntry,
  attempts: number,
  error: string,
): Promise<void> {
  const { redis, topic, group, options, logger } = context.config;
  const results = await redis
    .multi([
      [
        'xadd',
        deadLetterStream(topic, group),
        'MAXLEN',
        '~',
        options.deadLetterMaxLength,
        '*',
        FIELD.key,
        entryKey(entry),
        FIELD.bytes,
        entry.fields?.get(FIELD.bytes) ?? '',
        FIELD.attempts,
        attempts,
        FIELD.error,
        error,
        FIELD.origin,
        `${stream} ${entry.id}`,
      ],
      ['xack', stream, group, entry.id],
    ])
    .exec();
  const failed = results?.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
  logger.warn({ topic, group, attempts, error }, 'work message dead-lettered');
}
