/**
 * Reading new entries of the topic's shard streams for the consumer group (XREADGROUP `>` on the consumer's
 * dedicated blocking connection), and creating the group on every stream. A read that fails never throws
 * into the loops: it returns nothing, after recreating the groups when Redis lost them or a short pause.
 */
import { ensureGroup, isNoGroup, parseReadGroup, type StreamEntry } from './redis-streams.js';
import type { WorkContext } from './work-context.js';

/** Creates the consumer group on every shard stream (and the streams), where it does not exist yet. */
export async function ensureGroups(context: WorkContext): Promise<void> {
  const { redis, group } = context.config;
  await Promise.all(context.streams.map((stream) => ensureGroup(redis, stream, group)));
}

/** Up to `count` new entries per stream of `streams`, waiting at most `blockMs` for one. */
export async function readGroup(
  context: WorkContext,
  streams: readonly string[],
  count: number,
  blockMs = context.config.options.blockMs,
): Promise<Map<string, StreamEntry[]>> {
  const { reader, group, topic, logger } = context.config;
  try {
    const raw = await reader.callBuffer(
      'XREADGROUP',
      'GROUP',
      group,
      context.name,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      ...streams,
      ...streams.map(() => '>'),
    );
    return parseReadGroup(raw);
  } catch (error) {
    if (context.closed()) return new Map();
    if (isNoGroup(error)) {
      // Redis restarted without its data: the streams and groups are gone. Create them again.
      logger.warn({ topic, group }, 'redis consumer group lost; recreating');
      await ensureGroups(context).catch(() => undefined);
    } else {
      logger.warn({ err: error, topic }, 'redis XREADGROUP failed; retrying');
      await context.timers.sleep(250);
    }
    return new Map();
  }
}
