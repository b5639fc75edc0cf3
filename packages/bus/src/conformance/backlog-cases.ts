/**
 * Conformance cases about backlog bounds (backlog.ts): a bounded topic whose consumer is away keeps at most
 * its bound, dropping the oldest; an unbounded topic keeps everything. Registered by runTransportConformance
 * for transports that bound by message count (not Kafka: a log has no count bound; its retention is tested
 * in the Kafka suite).
 *
 * One key throughout: every message lands in the same shard queue/stream, so the kept messages must be the
 * newest ones as one contiguous run ending with the last publish, and the ordered consumer sees them in
 * publish order — once the last one arrives, everything kept has arrived (no settle delay needed).
 */
import { expect, it } from 'vitest';
import type { TopicBoundsOption } from '../backlog.js';
import type { Closable, Transport, WorkMessage } from '../transport.js';
import { bytes, sleep, text, uniqueName, waitFor } from './wait.js';

export interface BacklogCaseContext {
  connect(options?: { readonly topicBounds?: TopicBoundsOption }): Promise<Transport>;
  consume(
    transport: Transport,
    topic: string,
    group: string,
    handler: (message: WorkMessage) => Promise<void>,
    options?: { ordered?: boolean },
  ): Promise<Closable>;
  patience(): number;
}

const BOUND = 32;
const PUBLISHED = 200;

/** Declares the group, stops its consumer, publishes PUBLISHED messages, then reads what was kept. */
async function keptWhileAway(ctx: BacklogCaseContext, bounded: boolean): Promise<number[]> {
  const topic = uniqueName('backlog');
  const topicBounds: TopicBoundsOption = bounded ? { [topic]: { maxMessages: BOUND } } : {};
  const transport = await ctx.connect({ topicBounds });
  const seen: number[] = [];
  const handler = async (m: WorkMessage) => void seen.push(Number(text(m.bytes)));
  // The first consumer declares the group's storage (queues on RabbitMQ, the group on Redis and memory).
  const first = await ctx.consume(transport, topic, 'svc', handler, { ordered: true });
  await transport.publishWork(topic, 'one-key', bytes('-1'));
  await waitFor('the declaring consumer to get its first message', () => seen.length === 1, ctx.patience());
  await first.close();
  seen.length = 0;

  for (let i = 0; i < PUBLISHED; i++) await transport.publishWork(topic, 'one-key', bytes(String(i)));
  const back = await ctx.consume(transport, topic, 'svc', handler, { ordered: true });
  await waitFor('the last message', () => seen.includes(PUBLISHED - 1), ctx.patience());
  await back.close();
  return seen;
}

const MAX_AGE_MS = 1_000;

/** Messages older than the age bound, published while the consumer is away, are never delivered. */
export function registerAgeCase(ctx: BacklogCaseContext): void {
  it('drops messages older than the age bound of a bounded topic while its consumer is away', async () => {
    const topic = uniqueName('aged');
    const transport = await ctx.connect({ topicBounds: { [topic]: { maxAgeMs: MAX_AGE_MS } } });
    const seen: string[] = [];
    const handler = async (m: WorkMessage) => void seen.push(text(m.bytes));
    await (await ctx.consume(transport, topic, 'svc', handler, { ordered: true })).close();
    for (let i = 0; i < 5; i++) await transport.publishWork(topic, 'one-key', bytes(`old${i}`));
    await sleep(MAX_AGE_MS + 500);
    await transport.publishWork(topic, 'one-key', bytes('new'));
    const back = await ctx.consume(transport, topic, 'svc', handler, { ordered: true });
    await waitFor('the newest message', () => seen.includes('new'), ctx.patience());
    await back.close();
    expect(seen).toEqual(['new']);
  }, 120_000);
}

export function registerBacklogCases(ctx: BacklogCaseContext): void {
  it('keeps at most the bound of a bounded topic while its consumer is away, dropping the oldest', async () => {
    const seen = await keptWhileAway(ctx, true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThanOrEqual(BOUND);
    // The newest, in order: a contiguous run ending with the last publish.
    const first = PUBLISHED - seen.length;
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => first + i));
  }, 120_000);

  it('keeps every message of an unbounded topic while its consumer is away', async () => {
    const seen = await keptWhileAway(ctx, false);
    expect(seen).toEqual(Array.from({ length: PUBLISHED }, (_, i) => i));
  }, 120_000);
}
