import { channelRoute } from '@switchboard/bus';
import { waitFor } from '@switchboard/bus/conformance';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  decodeDelivery,
  encodeDelivery,
  encodeInbound,
  switchboard,
} from '@switchboard/protocol';
import { HISTORY_PUBLISH_TYPE, HISTORY_TOPIC, Publisher } from '@switchboard/publisher';
import { parseTraceparent } from '@switchboard/runtime';
import { memoryTracing } from '@switchboard/runtime/testing';
import type { Service } from '@switchboard/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHistoryService, type HistoryServiceOptions } from './history-service.js';
import { MemoryHistoryStore, type MemoryHistoryStoreOptions } from './memory-history-store.js';

const v1 = switchboard.v1;
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());
const offsets = (publications: switchboard.v1.IPublication[] | null | undefined) =>
  (publications ?? []).map((p) => Number(p.offset));

describe('history service on the memory bus', () => {
  let broker: MemoryBroker;
  let transports: MemoryTransport[];
  let service: Service | undefined;
  let store: MemoryHistoryStore | undefined;
  let edge: Delivery[];
  let client: MemoryTransport;
  let publisher: Publisher;

  const connect = () => {
    const transport = new MemoryTransport({ broker });
    transports.push(transport);
    return transport;
  };

  const start = async (
    maxPerChannel = 1000,
    bounds: Partial<MemoryHistoryStoreOptions> = {},
    limits: Partial<HistoryServiceOptions> = {},
  ) => {
    store = new MemoryHistoryStore({ maxPerChannel, ttlMs: 3_600_000, ...bounds });
    service = createHistoryService({
      transport: connect(),
      store,
      httpPort: false,
      stopTimeoutMs: 2_000,
      ...limits,
    });
    await service.start();
  };

  /** What an edge sends for a client command expecting a direct answer on `frameId`. */
  const command = (type: string, channel: string, frameId: number, payload: Uint8Array) =>
    client.publishWork(
      HISTORY_TOPIC,
      channel,
      encodeInbound({
        service: HISTORY_TOPIC,
        type,
        connectionId: 'edge-a.c1',
        userId: 'alice',
        nodeId: 'edge-a',
        requestId: String(frameId),
        traceId: `t${frameId}`,
        key: channel,
        payload,
      }),
    );

  const answer = async (frameId: number): Promise<Delivery> => {
    await waitFor(`answer to frame ${frameId}`, () => edge.some((d) => d.frameId === frameId));
    return edge.find((d) => d.frameId === frameId)!;
  };

  const published = (channel: string) =>
    edge.filter((d) => d.target === 'channel' && d.channel === channel && d.body === 'publication');

  const publishMany = async (channel: string, count: number) => {
    for (let i = 1; i <= count; i++)
      await publisher.toChannel(channel, 'msg', `${channel}-${i}`, { durable: true });
    await waitFor(`${count} publications on ${channel}`, () => published(channel).length === count);
  };

  beforeEach(async () => {
    broker = new MemoryBroker();
    transports = [];
    edge = [];
    service = undefined;
    store = undefined;
    const node = await connect().openNode('edge-a', (bytes) => edge.push(decodeDelivery(bytes)));
    await node.addInterest(channelRoute('room-1'));
    await node.addInterest(channelRoute('room-2'));
    client = connect();
    publisher = new Publisher(client);
  });

  afterEach(async () => {
    await service?.stop();
    await store?.close();
    for (const transport of transports) await transport.close();
  });

  it('assigns increasing offsets per channel in publish order and delivers them durable', async () => {
    await start();
    for (let i = 1; i <= 5; i++) {
      await publisher.toChannel('room-1', 'msg', `room-1-${i}`, { durable: true });
      if (i <= 3) await publisher.toChannel('room-2', 'msg', `room-2-${i}`, { durable: true });
    }
    await waitFor('8 publications', () => published('room-1').length + published('room-2').length === 8);
    const one = published('room-1');
    const two = published('room-2');
    expect(one.map((d) => Number(d.publication?.offset))).toEqual([1, 2, 3, 4, 5]);
    expect(one.map((d) => text(d.publication?.payload))).toEqual([1, 2, 3, 4, 5].map((i) => `room-1-${i}`));
    expect(two.map((d) => Number(d.publication?.offset))).toEqual([1, 2, 3]);
    expect(two.map((d) => text(d.publication?.payload))).toEqual([1, 2, 3].map((i) => `room-2-${i}`));
    expect(new Set(one.map((d) => d.publication?.epoch)).size).toBe(1);
    expect(new Set(two.map((d) => d.publication?.epoch)).size).toBe(1);
    expect(one[0]!.publication?.epoch).not.toBe(two[0]!.publication?.epoch);
    expect(one[0]!.publication?.epoch).not.toBe('');
    expect([...one, ...two].every((d) => d.durable)).toBe(true);
  });

  it("publishes a durable publication as a child of its handler span, in the publisher's trace", async () => {
    const traced = memoryTracing('history');
    await start(1000, {}, { tracing: traced.tracing });
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await publisher.toChannel('room-1', 'msg', 'hello', { durable: true, traceId: parent });
    await waitFor('the publication', () => published('room-1').length === 1);
    const [handler] = traced.spans().filter((s) => s.name === 'handle history/history.publish');
    expect(handler?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(handler?.parentSpanId).toBe('b7ad6b7169203331');
    expect(parseTraceparent(published('room-1')[0]?.traceId)?.spanId).toBe(handler?.spanId);
    await traced.tracing.shutdown();
  });

  it('keeps except_connection, trace id and publish time through the detour', async () => {
    await start();
    await publisher.toChannel('room-1', 'msg', 'hello', {
      durable: true,
      except: 'edge-a.c9',
      traceId: 'trace-42',
      from: { userId: 'bob', connectionId: 'edge-a.c9' },
    });
    await waitFor('the publication', () => published('room-1').length === 1);
    const delivery = published('room-1')[0]!;
    expect(delivery.exceptConnection).toBe('edge-a.c9');
    expect(delivery.traceId).toBe('trace-42');
    expect(Number(delivery.publishedAtMs)).toBeGreaterThan(0);
    expect(delivery.publication?.from?.userId).toBe('bob');
    expect([
      delivery.publication?.channel,
      delivery.publication?.type,
      Number(delivery.publication?.offset),
    ]).toEqual(['room-1', 'msg', 1]);
  });

  it('sends a redelivered publish (same request id) again with its first offset, storing it once', async () => {
    await start();
    /** What Publisher.toChannel(..., { durable: true }) sends, with a publish id in request_id. */
    const durablePublish = (publishId: string, body: string) =>
      client.publishWork(
        HISTORY_TOPIC,
        'room-1',
        encodeInbound({
          service: HISTORY_TOPIC,
          type: HISTORY_PUBLISH_TYPE,
          key: 'room-1',
          requestId: publishId,
          payload: encodeDelivery({
            channel: 'room-1',
            durable: true,
            publishedAtMs: 5,
            publication: {
              channel: 'room-1',
              type: 'msg',
              payload: new TextEncoder().encode(body),
              timeMs: 5,
            },
          }),
        }),
      );
    await durablePublish('pub-1', 'first');
    await durablePublish('pub-1', 'first');
    await durablePublish('pub-2', 'second');
    await waitFor('3 deliveries', () => published('room-1').length === 3);
    const deliveries = published('room-1');
    expect(deliveries.map((d) => Number(d.publication?.offset))).toEqual([1, 1, 2]);
    expect(deliveries.map((d) => text(d.publication?.payload))).toEqual(['first', 'first', 'second']);
    expect(offsets((await store!.latest('room-1', 10)).publications)).toEqual([1, 2]);
  });

  it('recovers exactly the missed publications, in order, on the client frame id', async () => {
    await start();
    await publishMany('room-1', 5);
    const epoch = published('room-1')[1]!.publication!.epoch ?? '';
    await command(
      'history.recover',
      'room-1',
      7,
      v1.Subscribe.encode({ channel: 'room-1', since: { offset: 2, epoch } }).finish(),
    );
    const reply = await answer(7);
    expect([reply.target, reply.connection, reply.body, reply.traceId]).toEqual([
      'connection',
      'edge-a.c1',
      'subscribed',
      't7',
    ]);
    const subscribed = reply.subscribed!;
    expect([subscribed.channel, subscribed.durable, subscribed.recovered, subscribed.wasRecovering]).toEqual([
      'room-1',
      true,
      true,
      true,
    ]);
    expect(offsets(subscribed.publications)).toEqual([3, 4, 5]);
    expect((subscribed.publications ?? []).map((p) => text(p.payload))).toEqual([
      'room-1-3',
      'room-1-4',
      'room-1-5',
    ]);
    expect([Number(subscribed.position?.offset), subscribed.position?.epoch]).toEqual([5, epoch]);
  });

  it('answers recovered=false for a position older than retention or from another epoch', async () => {
    await start(3);
    await publishMany('room-1', 6);
    const epoch = published('room-1')[0]!.publication!.epoch ?? '';
    const recover = (frameId: number, offset: number, at: string) =>
      command(
        'history.recover',
        'room-1',
        frameId,
        v1.Subscribe.encode({ channel: 'room-1', since: { offset, epoch: at } }).finish(),
      );
    await recover(1, 1, epoch);
    await recover(2, 3, 'another-epoch');
    await recover(3, 3, epoch);
    for (const frameId of [1, 2]) {
      const subscribed = (await answer(frameId)).subscribed!;
      expect([
        subscribed.recovered,
        subscribed.wasRecovering,
        (subscribed.publications ?? []).length,
      ]).toEqual([false, true, 0]);
      expect([Number(subscribed.position?.offset), subscribed.position?.epoch]).toEqual([6, epoch]);
    }
    const kept = (await answer(3)).subscribed!;
    expect(kept.recovered).toBe(true);
    expect(offsets(kept.publications)).toEqual([4, 5, 6]);
  });

  it('answers a subscribe without since with the stream top, not recovering', async () => {
    await start();
    await publishMany('room-1', 4);
    const epoch = published('room-1')[0]!.publication!.epoch ?? '';
    await command('history.recover', 'room-1', 8, v1.Subscribe.encode({ channel: 'room-1' }).finish());
    await command(
      'history.recover',
      'room-empty',
      9,
      v1.Subscribe.encode({ channel: 'room-empty' }).finish(),
    );
    const subscribed = (await answer(8)).subscribed!;
    expect([subscribed.channel, subscribed.durable, subscribed.wasRecovering, subscribed.recovered]).toEqual([
      'room-1',
      true,
      false,
      false,
    ]);
    expect(subscribed.publications ?? []).toEqual([]);
    expect([Number(subscribed.position?.offset), subscribed.position?.epoch]).toEqual([4, epoch]);
    const empty = (await answer(9)).subscribed!;
    expect([empty.channel, empty.wasRecovering, Number(empty.position?.offset ?? 0)]).toEqual([
      'room-empty',
      false,
      0,
    ]);
  });

  it('answers history queries: last N and last N before an offset', async () => {
    await start();
    await publishMany('room-1', 6);
    await command(
      'history.query',
      'room-1',
      11,
      v1.HistoryRequest.encode({ channel: 'room-1', limit: 2 }).finish(),
    );
    await command(
      'history.query',
      'room-1',
      12,
      v1.HistoryRequest.encode({ channel: 'room-1', limit: 2, beforeOffset: 4 }).finish(),
    );
    const last = await answer(11);
    expect([last.connection, last.body, last.history?.channel]).toEqual(['edge-a.c1', 'history', 'room-1']);
    expect(offsets(last.history?.publications)).toEqual([5, 6]);
    expect(Number(last.history?.position?.offset)).toBe(6);
    const before = (await answer(12)).history!;
    expect(offsets(before.publications)).toEqual([2, 3]);
    expect((before.publications ?? []).map((p) => text(p.payload))).toEqual(['room-1-2', 'room-1-3']);
  });

  /** Sends history.recover for `channel` with `since` (or none) on `frameId` and returns the Subscribed. */
  const resubscribe = async (channel: string, frameId: number, since?: { offset: number; epoch: string }) => {
    await command(
      'history.recover',
      channel,
      frameId,
      v1.Subscribe.encode(since ? { channel, since } : { channel }).finish(),
    );
    return (await answer(frameId)).subscribed!;
  };

  it('gives a fresh subscriber of an empty channel an epoch it can resume from (issue 14)', async () => {
    await start();
    const fresh = await resubscribe('room-1', 20);
    expect([Number(fresh.position?.offset ?? 0), fresh.recovered, fresh.wasRecovering]).toEqual([
      0,
      false,
      false,
    ]);
    const epoch = fresh.position?.epoch ?? '';
    expect(epoch).not.toBe('');
    await publishMany('room-1', 2);
    expect(published('room-1').map((d) => d.publication?.epoch)).toEqual([epoch, epoch]);
    const resumed = await resubscribe('room-1', 21, { offset: 0, epoch });
    expect([resumed.recovered, resumed.wasRecovering, offsets(resumed.publications)]).toEqual([
      true,
      true,
      [1, 2],
    ]);
    expect([Number(resumed.position?.offset), resumed.position?.epoch]).toEqual([2, epoch]);
    // {0, ""}: a client that never had a position gets the whole current epoch while it is all kept.
    const legacy = await resubscribe('room-1', 22, { offset: 0, epoch: '' });
    expect([legacy.recovered, offsets(legacy.publications), legacy.position?.epoch]).toEqual([
      true,
      [1, 2],
      epoch,
    ]);
  });

  it('answers recovered=false with a new epoch for a channel evicted by the channel bound', async () => {
    await start(1000, { maxChannels: 1 });
    await publishMany('room-1', 2);
    const epoch = published('room-1')[0]!.publication!.epoch ?? '';
    await publishMany('room-2', 1); // room-1 is evicted: only one channel is kept
    const resumed = await resubscribe('room-1', 30, { offset: 2, epoch });
    expect([resumed.recovered, resumed.wasRecovering, (resumed.publications ?? []).length]).toEqual([
      false,
      true,
      0,
    ]);
    expect(Number(resumed.position?.offset ?? 0)).toBe(0);
    expect(resumed.position?.epoch).not.toBe(epoch);
    expect(resumed.position?.epoch).not.toBe('');
    const metrics = await service!.metrics.metrics();
    expect(metrics).toContain('switchboard_history_evictions_total{reason="channels"} 2');
    expect(metrics).toContain('switchboard_history_channels 1');
    expect(metrics).toMatch(/switchboard_history_bytes \d+/);
  });

  it('answers a recovery longer than maxRecoveryPublications in pages, each marked recovery_continues but the last', async () => {
    await start(1000, {}, { maxRecoveryPublications: 2 });
    await publishMany('room-1', 5);
    const epoch = published('room-1')[0]!.publication!.epoch ?? '';
    await resubscribe('room-1', 40, { offset: 1, epoch });
    const page = await answer(40);
    expect([
      page.subscribed?.recovered,
      offsets(page.subscribed?.publications),
      Number(page.subscribed?.position?.offset),
      page.recoveryContinues,
    ]).toEqual([true, [2, 3], 3, true]);
    await resubscribe('room-1', 41, { offset: 3, epoch });
    const last = await answer(41);
    expect([
      last.subscribed?.recovered,
      offsets(last.subscribed?.publications),
      Number(last.subscribed?.position?.offset),
      last.recoveryContinues,
    ]).toEqual([true, [4, 5], 5, false]);
  });
});
