import { nodeRoute } from '@switchboard/bus';
import {
  decodeInbound,
  decodeLifecycleEvent,
  encodeDelivery,
  expandLifecycle,
  type LifecycleEvent,
  switchboard,
} from '@switchboard/protocol';

const switchboardV1 = switchboard.v1;

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Bus,
  connect,
  standInHistory,
  startBus,
  subscribe,
  type TestClient,
} from './testing/harness.js';

describe('client -> service relay', () => {
  let bus: Bus;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    bus = await startBus(1, { requestTimeoutMs: 300, clientCallable: ['echo/*', 'silent/x'] });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await bus.close();
  });

  it('a Send with request_id gets the service reply', async () => {
    await bus.publisher.consumeWork('echo', { group: 'echo' }, async (message) => {
      const inbound = decodeInbound(message.bytes);
      expect(inbound.userId).toBe('alice');
      const node = inbound.connectionId.slice(0, inbound.connectionId.lastIndexOf('.'));
      await bus.publisher.publishDelivery(
        nodeRoute(node),
        encodeDelivery({
          connection: inbound.connectionId,
          service: 'echo',
          reply: { requestId: inbound.requestId, type: 'echo.ok', payload: inbound.payload },
        }),
      );
    });
    const { client } = await connect(bus.nodes[0]!.url, 'alice');
    clients.push(client);
    client.send({
      id: 1,
      send: { service: 'echo', type: 'echo', payload: new Uint8Array([1, 2, 3]), requestId: 'r1' },
    });
    const reply = (await client.next((f) => f.reply?.requestId === 'r1')).reply!;
    expect(reply.type).toBe('echo.ok');
    expect([...(reply.payload ?? [])]).toEqual([1, 2, 3]);
    expect(reply.error).toBeFalsy();
  });

  it('a Send to a service that never answers gets an error Reply (Timeout, 140)', async () => {
    const received: string[] = [];
    await bus.publisher.consumeWork('silent', { group: 'silent' }, async (message) => {
      received.push(decodeInbound(message.bytes).type);
    });
    const { client } = await connect(bus.nodes[0]!.url, 'alice');
    clients.push(client);
    client.send({ id: 1, send: { service: 'silent', type: 'x', requestId: 'r2' } });
    const reply = (await client.next((f) => f.reply?.requestId === 'r2')).reply!;
    expect(reply.error?.code).toBe(140);
    expect(received).toEqual(['x']);
  });

  it('a Send to a service or type that is not client-callable gets NotCallable (114); nothing is published', async () => {
    const received: string[] = [];
    for (const topic of ['silent', 'history'])
      await bus.publisher.consumeWork(topic, { group: topic }, async (message) => {
        received.push(decodeInbound(message.bytes).type);
      });
    const { client } = await connect(bus.nodes[0]!.url, 'alice');
    clients.push(client);
    client.send({ id: 1, send: { service: 'no such service!', type: 'x', requestId: 'r3' } });
    expect((await client.next((f) => f.reply?.requestId === 'r3')).reply!.error?.code).toBe(114);
    client.send({ id: 2, send: { service: 'silent', type: 'y', requestId: 'r4' } });
    expect((await client.next((f) => f.reply?.requestId === 'r4')).reply!.error?.code).toBe(114);
    client.send({ id: 3, send: { service: 'history', type: 'history.publish' } });
    expect((await client.next((f) => f.id === 3)).error?.code).toBe(114);
    // The allowed type goes through, so the two refused ones would have been seen before it.
    client.send({ id: 4, send: { service: 'silent', type: 'x' } });
    await expect.poll(() => received).toEqual(['x']);
  });

  it('history queries are relayed and answered by frame id; unanswered ones time out', async () => {
    await bus.publisher.consumeWork('history', { group: 'history' }, async (message) => {
      const inbound = decodeInbound(message.bytes);
      const answer =
        inbound.type === 'history.query'
          ? { history: { channel: 'chat:a' } }
          : inbound.type === 'history.recover'
            ? { subscribed: { channel: 'chat:a', durable: true, position: { offset: 0, epoch: 'e1' } } }
            : undefined;
      if (!answer) return;
      await bus.publisher.publishDelivery(
        nodeRoute(nodeOf(inbound.connectionId)),
        encodeDelivery({
          connection: inbound.connectionId,
          frameId: Number(inbound.requestId),
          service: 'history',
          ...answer,
        }),
      );
    });
    const { client } = await connect(bus.nodes[0]!.url, 'alice');
    clients.push(client);
    expect((await subscribe(client, 1, 'chat:a')).subscribed?.position?.epoch).toBe('e1');
    client.send({ id: 2, history: { channel: 'chat:a', limit: 10 } });
    expect((await client.next((f) => f.id === 2)).history?.channel).toBe('chat:a');
    client.send({ id: 3, presence: { channel: 'chat:a' } });
    expect((await client.next((f) => f.id === 3)).error?.code).toBe(140);
  });

  it('relays every durable subscribe to history.recover; the answer carries the stream top', async () => {
    const recovers: { channel: string; since: switchboard.v1.IStreamPosition | null | undefined }[] = [];
    await standInHistory(bus, 7, (sub) => {
      recovers.push({ channel: sub.channel, since: sub.since ? { ...sub.since } : undefined });
    });
    const { client } = await connect(bus.nodes[0]!.url, 'alice');
    clients.push(client);
    const fresh = (await subscribe(client, 1, 'chat:fresh')).subscribed!;
    expect([fresh.channel, fresh.durable, fresh.wasRecovering, Number(fresh.position?.offset)]).toEqual([
      'chat:fresh',
      true,
      false,
      7,
    ]);
    client.send({ id: 2, subscribe: { channel: 'chat:resumed', since: { offset: 3, epoch: 'e1' } } });
    const resumed = (await client.next((f) => f.id === 2)).subscribed!;
    expect([resumed.wasRecovering, resumed.recovered]).toEqual([true, true]);
    expect((await subscribe(client, 3, 'news')).subscribed).toMatchObject({
      channel: 'news',
      durable: false,
    });
    expect(recovers.map((r) => [r.channel, r.since ? Number(r.since.offset) : null])).toEqual([
      ['chat:fresh', null],
      ['chat:resumed', 3],
    ]);
  });

  it('a durable subscribe history does not answer: fresh is Subscribed without a position, a resume a temporary error', async () => {
    await bus.publisher.consumeWork('history', { group: 'history' }, async () => {});
    const { client } = await connect(bus.nodes[0]!.url, 'alice');
    clients.push(client);
    const fresh = (await subscribe(client, 1, 'chat:a')).subscribed!;
    expect([fresh.durable, fresh.recovered, fresh.wasRecovering, fresh.position]).toEqual([
      true,
      false,
      false,
      null,
    ]);
    client.send({ id: 2, subscribe: { channel: 'chat:b', since: { offset: 3, epoch: 'e1' } } });
    const resumed = await client.next((f) => f.id === 2);
    // Not `recovered: false`: history may still have every message; the client retries with the same since.
    expect([resumed.subscribed, resumed.error?.code, resumed.error?.temporary]).toEqual([null, 140, true]);
    // The subscription stands, so the retry is a resume of the channel held, not a second subscription.
    client.send({ id: 3, subscribe: { channel: 'chat:b', since: { offset: 3, epoch: 'e1' } } });
    expect((await client.next((f) => f.id === 3)).error?.code).toBe(140);
  });

  it('a recovery page (recovery_continues) is followed by 2500, so the client asks for the next page', async () => {
    // A stand-in history with pages of 2: since 0 → 1..2 (continues), since 2 → 3 (the top).
    await bus.publisher.consumeWork('history', { group: 'history' }, async (message) => {
      const inbound = decodeInbound(message.bytes);
      const sub = switchboardV1.Subscribe.decode(inbound.payload);
      const since = Number(sub.since?.offset ?? 0);
      const last = Math.min(since + 2, 3);
      const publications = [];
      for (let offset = since + 1; offset <= last; offset++)
        publications.push({ channel: sub.channel, offset, epoch: 'e1', type: 'm' });
      const connection = inbound.connectionId;
      await bus.publisher.publishDelivery(
        nodeRoute(connection.slice(0, connection.lastIndexOf('.'))),
        encodeDelivery({
          connection,
          frameId: Number(inbound.requestId),
          service: 'history',
          recoveryContinues: last < 3,
          subscribed: {
            channel: sub.channel,
            durable: true,
            position: { offset: last, epoch: 'e1' },
            wasRecovering: true,
            recovered: true,
            publications,
          },
        }),
      );
    });
    const { client } = await connect(bus.nodes[0]!.url, 'alice');
    clients.push(client);
    const seen: string[] = [];
    client.send({ id: 1, subscribe: { channel: 'chat:p', since: { offset: 0, epoch: 'e1' } } });
    const first = (await client.next((f) => f.id === 1)).subscribed!;
    seen.push(`subscribed ${first.publications?.map((p) => Number(p.offset)).join(',')}`);
    const next = (await client.next((f) => Boolean(f.unsubscribed))).unsubscribed!;
    seen.push(`unsubscribed ${next.code}`);
    client.send({ id: 2, subscribe: { channel: 'chat:p', since: { offset: 2, epoch: 'e1' } } });
    const second = (await client.next((f) => f.id === 2)).subscribed!;
    seen.push(`subscribed ${second.publications?.map((p) => Number(p.offset)).join(',')}`);
    expect(seen).toEqual(['subscribed 1,2', 'unsubscribed 2500', 'subscribed 3']);
    // The last page is not followed by a 2500: the unsubscribe's answer comes next, nothing in between.
    client.send({ id: 3, unsubscribe: { channel: 'chat:p' } });
    await client.next((f) => f.id === 3);
    expect(client.frames.map((f) => f.kind).slice(-4)).toEqual([
      'subscribed',
      'unsubscribed',
      'subscribed',
      'unsubscribed',
    ]);
    expect(client.frames.filter((f) => f.unsubscribed?.code === 2500)).toHaveLength(1);
  });

  it('publishes lifecycle events for open, subscribe, unsubscribe and close', async () => {
    const events: LifecycleEvent[] = [];
    await bus.publisher.consumeWork('lifecycle', { group: 'presence' }, async (message) => {
      events.push(...expandLifecycle(decodeLifecycleEvent(message.bytes)));
    });
    const { client, id } = await connect(bus.nodes[0]!.url, 'alice');
    await subscribe(client, 1, 'room');
    client.send({ id: 2, unsubscribe: { channel: 'room' } });
    await client.next((f) => f.id === 2);
    await client.close();
    await expect
      .poll(
        () => events.filter((e) => e.event !== 'heartbeat' && e.connectionClosed?.connectionId === id).length,
      )
      .toBe(1);
    const mine = events.filter((e) => e.event !== 'heartbeat').map((e) => e.event);
    expect(mine).toEqual(['connectionOpened', 'subscribed', 'unsubscribed', 'connectionClosed']);
  });
});

const nodeOf = (connectionId: string) => connectionId.slice(0, connectionId.lastIndexOf('.'));
