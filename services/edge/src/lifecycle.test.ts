import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { decodeLifecycleEvent, expandLifecycle, type LifecycleEvent } from '@switchboard/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from './connection.js';
import { LIFECYCLE_TOPIC, Lifecycle, MAX_BATCH_EVENTS, MIN_FLUSH_INTERVAL_MS } from './lifecycle.js';

/** What Lifecycle reads of a connection: its id, user and info. */
const conn = (i: number) => ({ id: `n1.c${i}`, userId: `u${i}`, info: undefined }) as unknown as Connection;

describe('Lifecycle coalesces one turn of events into one publish', () => {
  let broker: MemoryBroker;
  let edge: MemoryTransport;
  let consumer: MemoryTransport;
  let messages: { key: string; event: LifecycleEvent }[];
  let lifecycle: Lifecycle;

  beforeEach(async () => {
    broker = new MemoryBroker();
    edge = new MemoryTransport({ broker });
    consumer = new MemoryTransport({ broker });
    messages = [];
    await consumer.consumeWork(LIFECYCLE_TOPIC, { group: 'presence' }, async (m) => {
      messages.push({ key: m.key, event: decodeLifecycleEvent(m.bytes) });
    });
    lifecycle = new Lifecycle(edge, 'n1', pino({ level: 'silent' }));
  });
  afterEach(async () => {
    lifecycle.stop();
    await edge.close();
    await consumer.close();
  });

  const events = () => messages.flatMap((m) => expandLifecycle(m.event));

  it('publishes N connects of one tick as one batch of N events, in order, keyed by the node', async () => {
    const n = 200;
    for (let i = 0; i < n; i++) {
      lifecycle.opened(conn(i));
      lifecycle.subscribed(conn(i), 'news');
    }
    await expect.poll(() => events().length).toBe(2 * n);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.key).toBe('n1');
    expect(messages[0]!.event.event).toBe('batch');
    const got = events();
    for (let i = 0; i < n; i++) {
      expect(got[2 * i]!.connectionOpened?.connectionId).toBe(`n1.c${i}`);
      expect(got[2 * i + 1]!.subscribed?.connectionId).toBe(`n1.c${i}`);
      expect(got[2 * i]!.nodeId).toBe('n1');
      expect(got[2 * i]!.timeMs).toBeGreaterThan(0);
    }
  });

  it('splits a turn larger than MAX_BATCH_EVENTS and loses nothing', async () => {
    const n = MAX_BATCH_EVENTS * 2 + 7;
    for (let i = 0; i < n; i++) lifecycle.opened(conn(i));
    await expect.poll(() => events().length).toBe(n);
    expect(messages.map((m) => m.event.batch?.events?.length)).toEqual([
      MAX_BATCH_EVENTS,
      MAX_BATCH_EVENTS,
      7,
    ]);
    expect(new Set(events().map((e) => e.connectionOpened?.connectionId)).size).toBe(n);
  });

  it('publishes a lone event plain, and the next turn in a message of its own', async () => {
    lifecycle.opened(conn(1));
    await expect.poll(() => messages.length).toBe(1);
    lifecycle.closed(conn(1), 1000, 'bye');
    await expect.poll(() => messages.length).toBe(2);
    expect(messages.map((m) => m.event.event)).toEqual(['connectionOpened', 'connectionClosed']);
    expect(messages.map((m) => m.key)).toEqual(['n1', 'n1']);
  });

  it('publishes what is still pending when stopped', async () => {
    lifecycle.opened(conn(1));
    lifecycle.opened(conn(2));
    lifecycle.stop();
    await expect.poll(() => events().length).toBe(2);
  });
});

describe('Lifecycle keeps one publish in flight', () => {
  /** A transport whose publishes wait until the test releases them, recording what was published. */
  function heldTransport() {
    const published: LifecycleEvent[] = [];
    const releases: (() => void)[] = [];
    const transport = {
      publishWork: (_topic: string, _key: string, bytes: Uint8Array) => {
        published.push(decodeLifecycleEvent(bytes));
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    } as unknown as MemoryTransport;
    return { transport, published, releases };
  }
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('lets the events of later turns wait for the confirm, then sends them as one batch with the next seq', async () => {
    const { transport, published, releases } = heldTransport();
    const lifecycle = new Lifecycle(transport, 'n1', pino({ level: 'silent' }));
    lifecycle.opened(conn(1));
    await turn();
    expect(published).toHaveLength(1);
    for (let i = 2; i <= 4; i++) {
      lifecycle.opened(conn(i));
      await turn();
    }
    expect(published).toHaveLength(1); // still waiting for the first confirm
    releases[0]!();
    await expect.poll(() => published.length).toBe(2);
    const second = published[1]!;
    expect(Number(second.seq)).toBe(Number(published[0]!.seq) + 1);
    expect(expandLifecycle(second).map((e) => e.connectionOpened?.connectionId)).toEqual([
      'n1.c2',
      'n1.c3',
      'n1.c4',
    ]);
    // Once nothing is in flight, a new event leaves again (within the flush interval).
    releases[1]!();
    await turn();
    lifecycle.closed(conn(1), 1000, 'bye');
    await expect.poll(() => published.length).toBe(3);
    lifecycle.stop();
  });

  it('starts flushes at least MIN_FLUSH_INTERVAL_MS apart, and a quiet node publishes at the next turn', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] });
    try {
      const { transport, published, releases } = heldTransport();
      const lifecycle = new Lifecycle(transport, 'n1', pino({ level: 'silent' }));
      lifecycle.opened(conn(1));
      await vi.advanceTimersByTimeAsync(0);
      expect(published).toHaveLength(1);
      releases[0]!(); // confirmed at once
      await vi.advanceTimersByTimeAsync(1);
      lifecycle.opened(conn(2));
      await vi.advanceTimersByTimeAsync(MIN_FLUSH_INTERVAL_MS - 3);
      lifecycle.opened(conn(3));
      await vi.advanceTimersByTimeAsync(1);
      expect(published).toHaveLength(1); // 8 of 10 ms since the first flush: gathering
      await vi.advanceTimersByTimeAsync(2);
      expect(published).toHaveLength(2);
      expect(expandLifecycle(published[1]!).map((e) => e.connectionOpened?.connectionId)).toEqual([
        'n1.c2',
        'n1.c3',
      ]);
      releases[1]!();
      await vi.advanceTimersByTimeAsync(MIN_FLUSH_INTERVAL_MS * 5);
      lifecycle.closed(conn(1), 1000, 'bye');
      await vi.advanceTimersByTimeAsync(0);
      expect(published).toHaveLength(3);
      lifecycle.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('still publishes at once what stop() finds pending, even behind a publish in flight', async () => {
    const { transport, published } = heldTransport();
    const lifecycle = new Lifecycle(transport, 'n1', pino({ level: 'silent' }));
    lifecycle.opened(conn(1));
    await turn();
    lifecycle.opened(conn(2));
    lifecycle.stop();
    expect(published).toHaveLength(2);
    expect(published[1]!.connectionOpened?.connectionId).toBe('n1.c2');
  });
});
