import { nodeRoute } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  decodeLifecycleEvent,
  ErrorCodes,
  encodeDelivery,
  expandLifecycle,
  type LifecycleEvent,
} from '@switchboard/protocol';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LIFECYCLE_TOPIC, Lifecycle, MAX_BATCH_EVENTS } from './lifecycle.js';
import { type Bus, connect, startBus, subscribe, type TestClient } from './testing/harness.js';

const silent = pino({ level: 'silent' });
const source = (i: number, channels: string[] = []) => ({ id: `n1.c${i}`, userId: `u${i}`, channels });

describe('Lifecycle sequence numbers and snapshots', () => {
  let edge: MemoryTransport;
  let consumer: MemoryTransport;
  let messages: LifecycleEvent[];
  let lifecycle: Lifecycle;

  beforeEach(async () => {
    const broker = new MemoryBroker();
    edge = new MemoryTransport({ broker });
    consumer = new MemoryTransport({ broker });
    messages = [];
    await consumer.consumeWork(LIFECYCLE_TOPIC, { group: 'test' }, async (m) => {
      messages.push(decodeLifecycleEvent(m.bytes));
    });
    lifecycle = new Lifecycle(edge, 'n1', silent);
  });
  afterEach(async () => {
    lifecycle.stop();
    await edge.close();
    await consumer.close();
  });

  it('numbers every message of the incarnation from 1 without holes; the heartbeat carries the last', async () => {
    lifecycle.opened(source(1) as never);
    await expect.poll(() => messages.length).toBe(1);
    lifecycle.opened(source(2) as never);
    lifecycle.subscribed(source(2) as never, 'news');
    await expect.poll(() => messages.length).toBe(2);
    lifecycle.startHeartbeat(60_000, () => ({ connections: 2, busiestChannels: [] }));
    await expect.poll(() => messages.length).toBe(3);
    expect(messages.map((m) => [m.event, Number(m.seq), m.incarnation])).toEqual([
      ['connectionOpened', 1, lifecycle.incarnation],
      ['batch', 2, lifecycle.incarnation],
      ['heartbeat', 0, lifecycle.incarnation],
    ]);
    expect(Number(messages[2]?.heartbeat?.lastSeq)).toBe(2);
    // Inner events of a batch carry no sequence of their own.
    expect(messages[1]?.batch?.events?.map((e) => Number(e.seq))).toEqual([0, 0]);
    expect(new Lifecycle(edge, 'n1', silent).incarnation).not.toBe(lifecycle.incarnation);
  });

  it('a snapshot goes after the pending events, in chunks with consecutive seqs, whole connections each', async () => {
    lifecycle.opened(source(0) as never); // pending in this turn: it must leave before the snapshot
    const many = Array.from({ length: 700 }, (_, i) => source(i, ['a', 'b']));
    expect(lifecycle.snapshot(many)).toBe(700);
    await expect.poll(() => messages.length).toBe(4);
    expect(messages[0]?.event).toBe('connectionOpened');
    const chunks = messages.slice(1);
    expect(chunks.map((m) => Number(m.seq))).toEqual([2, 3, 4]);
    expect(chunks.map((m) => [Number(m.snapshot?.snapshotId), m.snapshot?.chunk, m.snapshot?.last])).toEqual([
      [2, 0, false],
      [2, 1, false],
      [2, 2, true],
    ]);
    const sizes = chunks.map((m) => m.snapshot?.connections?.length ?? 0);
    expect(sizes).toEqual([333, 333, 34]); // 3 entries a connection, at most MAX_BATCH_EVENTS a chunk
    expect(sizes[0]! * 3).toBeLessThanOrEqual(MAX_BATCH_EVENTS);
    expect(chunks.flatMap((m) => m.snapshot?.connections?.map((c) => c.connectionId))).toEqual(
      many.map((c) => c.id),
    );
    expect(chunks[0]?.snapshot?.connections?.[0]?.channels).toEqual(['a', 'b']);
  });

  it('an empty node still answers with one (empty, last) chunk', async () => {
    expect(lifecycle.snapshot([])).toBe(0);
    await expect.poll(() => messages.length).toBe(1);
    expect(messages[0]?.snapshot).toMatchObject({ chunk: 0, last: true, connections: [] });
  });
});

describe('an edge answers a re-announce request with a snapshot of exactly its state', () => {
  let bus: Bus;
  let consumer: MemoryTransport;
  let messages: LifecycleEvent[];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    bus = await startBus(1, { nodeHeartbeatMs: 60_000 });
    consumer = new MemoryTransport({ broker: bus.broker });
    messages = [];
    await consumer.consumeWork(LIFECYCLE_TOPIC, { group: 'test' }, async (m) => {
      messages.push(decodeLifecycleEvent(m.bytes));
    });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await consumer.close();
    await bus.close();
  });

  const snapshots = () => messages.filter((m) => m.event === 'snapshot');
  const ask = (nodeId: string) =>
    bus.publisher.publishDelivery(
      nodeRoute('n0'),
      encodeDelivery({ node: 'n0', reannounce: { nodeId, requestedBy: 'presence' } }),
    );

  it('lists the live connections with their channels, not the closed ones; other nodes are ignored', async () => {
    const alice = await connect(bus.nodes[0]!.url, 'alice');
    const bob = await connect(bus.nodes[0]!.url, 'bob');
    const carol = await connect(bus.nodes[0]!.url, 'carol');
    clients.push(alice.client, bob.client, carol.client);
    await subscribe(alice.client, 1, 'news');
    await subscribe(alice.client, 2, 'presence-room');
    await subscribe(bob.client, 1, 'presence-room');
    await carol.client.close();
    // Everything the node raised so far is out: the opened, subscribed and closed events.
    await expect
      .poll(() => messages.flatMap(expandLifecycle).filter((e) => e.event === 'connectionClosed').length)
      .toBe(1);

    await ask('n7'); // not this node
    await ask('n0');
    await expect.poll(() => snapshots().length).toBe(1);
    const [snapshot] = snapshots();
    expect(snapshot?.snapshot?.last).toBe(true);
    const state = (snapshot?.snapshot?.connections ?? [])
      .map((c) => [c.connectionId, c.userId, [...(c.channels ?? [])].sort()])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(state).toEqual(
      [
        [alice.id, 'alice', ['news', 'presence-room']],
        [bob.id, 'bob', ['presence-room']],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    // Its sequence follows the events' with no hole.
    const seqs = messages.filter((m) => m.event !== 'heartbeat').map((m) => Number(m.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const counted = await bus.nodes[0]!.metrics.registry.getSingleMetricAsString(
      'switchboard_edge_lifecycle_reannounces_total',
    );
    expect(counted).toContain('outcome="ignored"');
  });

  it('rate-limits: requests within a heartbeat interval of a snapshot wait for its end, as one', async () => {
    const before = snapshots().length;
    await ask('n0');
    await ask('n0');
    await ask('n0');
    // The interval is a minute: nothing more is published now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(snapshots().length).toBe(before);
    const counted = await bus.nodes[0]!.metrics.registry.getSingleMetricAsString(
      'switchboard_edge_lifecycle_reannounces_total',
    );
    expect(counted).toMatch(/outcome="deferred"[^\n]* 3/);
  });

  it('a client cannot ask for one: a Send to the lifecycle topic or the edge is refused, nothing published', async () => {
    const mallory = await connect(bus.nodes[0]!.url, 'mallory');
    clients.push(mallory.client);
    await expect.poll(() => messages.at(-1)?.connectionOpened?.connectionId).toBe(mallory.id);
    const before = messages.length;
    const attempts = [
      { service: 'lifecycle', type: 'snapshot' },
      { service: 'lifecycle', type: 'reannounce' },
      { service: 'edge', type: 'reannounce' },
      { service: 'presence', type: 'reannounce' },
    ];
    for (const [i, send] of attempts.entries()) {
      mallory.client.send({ id: 10 + i, send: { ...send, requestId: `r${i}`, payload: new Uint8Array(0) } });
      const answer = await mallory.client.next((f) => f.id === 10 + i);
      expect(answer.reply?.error?.code).toBe(ErrorCodes.NotCallable.wire);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Nothing went out after mallory's own connection_opened: no snapshot, no forged lifecycle message.
    expect(messages.slice(before).map((m) => m.event)).toEqual([]);
  });
});
