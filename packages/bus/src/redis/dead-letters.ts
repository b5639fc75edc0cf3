/**
 * consumeDeadLetters(): reads `sb:dlq:<topic>:<group>` through the consumer group `sb-dlq-readers`
 * (readers compete; a new reader starts at the oldest letter). A letter is acked once the handler resolves;
 * a rejected one stays pending and is retried after the visibility timeout (XAUTOCLAIM), as are letters of
 * a reader that died.
 */
import { randomUUID } from 'node:crypto';
import type { Closable, DeadLetterHandler } from '../transport.js';
import { DEAD_LETTER_READERS, deadLetterStream, FIELD } from './redis-names.js';
import type { StreamReaderConfig } from './redis-options.js';
import {
  ensureGroup,
  entryBytes,
  entryKey,
  isNoGroup,
  parseEntries,
  parseReadGroup,
  type StreamEntry,
} from './redis-streams.js';

export interface DeadLetterConsumerConfig extends StreamReaderConfig {
  readonly handler: DeadLetterHandler;
}

export class RedisDeadLetterConsumer implements Closable {
  readonly #c: DeadLetterConsumerConfig;
  readonly #stream: string;
  readonly #name: string;
  #closed = false;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #lastReclaim = Date.now();

  constructor(config: DeadLetterConsumerConfig) {
    this.#c = config;
    this.#stream = deadLetterStream(config.topic, config.group);
    this.#name = `${config.options.connectionName}-dlq-${randomUUID()}`;
  }

  async start(): Promise<void> {
    await ensureGroup(this.#c.redis, this.#stream, DEAD_LETTER_READERS);
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    this.#c.reader.disconnect();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { reader, redis, options } = this.#c;
    while (!this.#closed) {
      try {
        if (Date.now() - this.#lastReclaim >= options.visibilityTimeoutMs) {
          this.#lastReclaim = Date.now();
          const raw = (await redis.callBuffer(
            'XAUTOCLAIM',
            this.#stream,
            DEAD_LETTER_READERS,
            this.#name,
            options.visibilityTimeoutMs,
            '0-0',
            'COUNT',
            100,
          )) as unknown[];
          for (const entry of parseEntries(raw?.[1])) await this.#handle(entry);
        }
        const raw = await reader.callBuffer(
          'XREADGROUP',
          'GROUP',
          DEAD_LETTER_READERS,
          this.#name,
          'COUNT',
          100,
          'BLOCK',
          options.blockMs,
          'STREAMS',
          this.#stream,
          '>',
        );
        for (const entry of parseReadGroup(raw).get(this.#stream) ?? []) await this.#handle(entry);
      } catch (error) {
        if (this.#closed) return;
        if (isNoGroup(error))
          await ensureGroup(redis, this.#stream, DEAD_LETTER_READERS).catch(() => undefined);
        else this.#c.logger.warn({ err: error, stream: this.#stream }, 'redis dead-letter read failed');
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, 250);
        });
        clearTimeout(this.#timer);
      }
    }
  }

  async #handle(entry: StreamEntry): Promise<void> {
    if (this.#closed) return;
    const { redis, topic, group, handler } = this.#c;
    if (!entry.fields) {
      await redis.call('XACK', this.#stream, DEAD_LETTER_READERS, entry.id);
      return;
    }
    try {
      await handler({
        topic,
        group,
        key: entryKey(entry),
        bytes: entryBytes(entry),
        attempts: Number(entry.fields.get(FIELD.attempts)?.toString() ?? 0),
        error: entry.fields.get(FIELD.error)?.toString() ?? '',
      });
    } catch (error) {
      this.#c.logger.warn({ err: error, topic, group }, 'dead-letter handler failed; retried later');
      return;
    }
    if (!this.#closed) await redis.call('XACK', this.#stream, DEAD_LETTER_READERS, entry.id);
  }
}
