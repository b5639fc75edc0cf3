import { channelRoute, type Route, userRoute } from '@switchboard/bus';
import { waitFor } from '@switchboard/bus/conformance';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  decodeDelivery,
  decodeInbound,
  ErrorCodes,
  type ErrorName,
  encodeInbound,
} from '@switchboard/protocol';
import { HISTORY_PUBLISH_TYPE, HISTORY_TOPIC } from '@switchboard/publisher';
import type { Service } from '@switchboard/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHAT_SERVICE, type ChatServiceOptions, createChatService } from './chat-service.js';
import { MemoryChatStore } from './memory-chat-store.js';

const NODE = 'edge-a';
const ALICE = { user: 'alice', connection: `${NODE}.alice1` };
const BOB = { user: 'bob', connection: `${NODE}.bob1` };
const ANONYMOUS = { user: '', connection: `${NODE}.anon1` };
type Client = typeof ALICE;

const utf8 = (value: string) => new TextEncoder().encode(value);
const parse = (bytes: Uint8Array | null | undefined) =>
  JSON.parse(new TextDecoder().decode(bytes ?? new Uint8Array())) as Record<string, unknown>;

interface Received {
  readonly route: Route;
  readonly delivery: Delivery;
}

describe('chat service on the memory bus', () => {
  let broker: MemoryBroker;
  let serviceBus: MemoryTransport;
  let edgeBus: MemoryTransport;
  let service: Service | undefined;
  let store: MemoryChatStore;
  let received: Received[];
  let history: Delivery[];
  let clock: number;
  let requests: number;

  /** Everything the node got that is not a reply (publications and pushes). */
  const traffic = () => received.filter((r) => !r.delivery.reply);

  const start = async (options: Partial<ChatServiceOptions> = {}) => {
    service = createChatService({
      transport: serviceBus,
      store,
      httpPort: false,
      stopTimeoutMs: 2_000,
      now: () => clock,
      ...options,
    });
    await service.start();
  };

  /** What an edge publishes for a client's `Send{service: 'chat', type, payload, request_id}`; resolves with the reply. */
  const request = async (client: Client, type: string, payload: unknown) => {
    const requestId = `r${++requests}`;
    await edgeBus.publishWork(
      CHAT_SERVICE,
      client.user || client.connection,
      encodeInbound({
        service: CHAT_SERVICE,
        type,
        payload: utf8(typeof payload === 'string' ? payload : JSON.stringify(payload)),
        requestId,
        key: client.user || client.connection,
        connectionId: client.connection,
        userId: client.user,
        nodeId: NODE,
        timeMs: clock,
      }),
    );
    let reply: Delivery | undefined;
    await waitFor(`reply ${requestId} to ${type}`, () => {
      reply = received.find((r) => r.delivery.reply?.requestId === requestId)?.delivery;
      return reply !== undefined;
    });
    expect(reply?.connection).toBe(client.connection);
    return reply!.reply!;
  };

  const ok = async (client: Client, type: string, payload: unknown) => {
    const reply = await request(client, type, payload);
    expect(reply.error ?? undefined, `${type} failed: ${reply.error?.message}`).toBeUndefined();
    return { type: reply.type, body: parse(reply.payload) };
  };

  const fails = async (client: Client, type: string, payload: unknown, code: ErrorName) => {
    const reply = await request(client, type, payload);
    expect(reply.error?.code).toBe(ErrorCodes[code].wire);
    return reply.error!.message;
  };

  beforeEach(async () => {
    broker = new MemoryBroker();
    serviceBus = new MemoryTransport({ broker });
    edgeBus = new MemoryTransport({ broker });
    store = new MemoryChatStore();
    received = [];
    history = [];
    clock = 1_700_000_000_000;
    requests = 0;
    const node = await edgeBus.openNode(NODE, (bytes, route) =>
      received.push({ route, delivery: decodeDelivery(bytes) }),
    );
    for (const route of [channelRoute('chat:lobby'), channelRoute('typing:lobby'), userRoute('bob')])
      await node.addInterest(route);
    // Stands in for the history service: durable publications arrive here as work.
    await edgeBus.consumeWork(HISTORY_TOPIC, { group: 'history' }, async (message) => {
      const inbound = decodeInbound(message.bytes);
      expect(inbound.type).toBe(HISTORY_PUBLISH_TYPE);
      expect(inbound.key).toBe(message.key);
      history.push(decodeDelivery(inbound.payload));
    });
  });

  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await store.close();
    await serviceBus.close();
    await edgeBus.close();
  });

  it('publishes a sent message durably to chat:<room> except the sender and replies chat.sent', async () => {
    await start();
    const sent = await ok(ALICE, 'chat.send', { room: 'lobby', text: '  hello  ', clientMsgId: 'c-1' });
    expect(sent.type).toBe('chat.sent');
    expect(sent.body).toEqual({
      id: 'lobby-1',
      room: 'lobby',
      text: 'hello',
      user: 'alice',
      time: clock,
      clientMsgId: 'c-1',
    });
    await waitFor('the durable publication', () => history.length === 1);
    const [delivery] = history;
    expect(delivery!.channel).toBe('chat:lobby');
    expect(delivery!.durable).toBe(true);
    expect(delivery!.exceptConnection).toBe(ALICE.connection);
    expect(delivery!.publication?.type).toBe('chat.message');
    expect(delivery!.publication?.from?.userId).toBe('alice');
    expect(parse(delivery!.publication?.payload)).toEqual({
      id: 'lobby-1',
      room: 'lobby',
      text: 'hello',
      user: 'alice',
      time: clock,
    });
    expect((await ok(BOB, 'chat.send', { room: 'lobby', text: 'hi' })).body.id).toBe('lobby-2');
    await waitFor('the second publication', () => history.length === 2);
    // Durable publications reach the edges only through the history service, never directly.
    expect(traffic()).toEqual([]);
    expect((await ok(ALICE, 'chat.rooms', {})).body).toEqual({ rooms: ['lobby'], total: 1, limit: 100 });
  });

  it('answers a retried send with the same clientMsgId without publishing it again', async () => {
    await start();
    const first = await ok(ALICE, 'chat.send', { room: 'lobby', text: 'once', clientMsgId: 'c-9' });
    const again = await ok(ALICE, 'chat.send', { room: 'lobby', text: 'once', clientMsgId: 'c-9' });
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true });
    await ok(ALICE, 'chat.send', { room: 'lobby', text: 'next' });
    await waitFor('two publications', () => history.length === 2);
    expect(history.map((d) => parse(d.publication?.payload).text)).toEqual(['once', 'next']);
  });

  it('rejects empty, too long and malformed messages with BadRequest', async () => {
    await start({ maxMessageLength: 10 });
    expect(await fails(ALICE, 'chat.send', { room: 'lobby', text: '   ' }, 'BadRequest')).toMatch(/empty/);
    expect(await fails(ALICE, 'chat.send', { room: 'lobby', text: 'x'.repeat(11) }, 'BadRequest')).toMatch(
      /longer than 10/,
    );
    expect(await fails(ALICE, 'chat.send', { room: 'bad room', text: 'x' }, 'BadRequest')).toMatch(/room/);
    await fails(ALICE, 'chat.send', 'not json', 'BadRequest');
    expect((await ok(ALICE, 'chat.send', { room: 'lobby', text: ` ${'x'.repeat(10)} ` })).body.text).toBe(
      'x'.repeat(10),
    );
    await waitFor('the valid publication', () => history.length === 1);
    expect(history).toHaveLength(1);
  });

  it('rate-limits per user on the injected clock', async () => {
    await start({ ratePerUserPerSecond: 2, rateBurst: 2 });
    await ok(ALICE, 'chat.send', { room: 'lobby', text: '1' });
    await ok(ALICE, 'chat.send', { room: 'lobby', text: '2' });
    await fails(ALICE, 'chat.send', { room: 'lobby', text: '3' }, 'RateLimited');
    await ok(BOB, 'chat.send', { room: 'lobby', text: 'bob is not limited by alice' });
    clock += 500; // one token back at 2/s
    await ok(ALICE, 'chat.send', { room: 'lobby', text: '4' });
    await fails(ALICE, 'chat.send', { room: 'lobby', text: '5' }, 'RateLimited');
    await waitFor('four publications', () => history.length === 4);
    expect(history.map((d) => parse(d.publication?.payload).text)).toEqual([
      '1',
      '2',
      'bob is not limited by alice',
      '4',
    ]);
  });

  it('only uses existing rooms when auto-create is off', async () => {
    await store.createRoom('lobby');
    await start({ autoCreateRooms: false });
    expect(await fails(ALICE, 'chat.send', { room: 'nowhere', text: 'hi' }, 'BadRequest')).toMatch(
      /unknown room "nowhere"/,
    );
    await fails(ALICE, 'chat.join', { room: 'nowhere' }, 'BadRequest');
    await ok(ALICE, 'chat.send', { room: 'lobby', text: 'hi' });
    expect(await store.listRooms(10)).toEqual({ rooms: ['lobby'], total: 1 });
  });

  it('refuses anonymous connections', async () => {
    await start();
    await fails(ANONYMOUS, 'chat.send', { room: 'lobby', text: 'hi' }, 'Unauthorized');
    expect(await store.listRooms(10)).toEqual({ rooms: [], total: 0 });
  });

  it('lets only the author edit and delete a message', async () => {
    await start();
    const { id } = (await ok(ALICE, 'chat.send', { room: 'lobby', text: 'typo' })).body;
    await fails(BOB, 'chat.edit', { id, text: 'hacked' }, 'PermissionDenied');
    await fails(BOB, 'chat.delete', { id }, 'PermissionDenied');
    const edited = await ok(ALICE, 'chat.edit', { id, text: 'fixed' });
    expect(edited).toEqual({
      type: 'chat.edited',
      body: { id, room: 'lobby', text: 'fixed', user: 'alice', time: clock },
    });
    expect((await ok(ALICE, 'chat.delete', { id })).type).toBe('chat.deleted');
    await fails(ALICE, 'chat.edit', { id, text: 'too late' }, 'BadRequest');
    await fails(ALICE, 'chat.delete', { id: 'lobby-99' }, 'BadRequest');
    await waitFor('message, edit and deletion', () => history.length === 3);
    expect(history.map((d) => d.publication?.type)).toEqual(['chat.message', 'chat.edited', 'chat.deleted']);
    for (const delivery of history) {
      expect(delivery.channel).toBe('chat:lobby');
      expect(delivery.durable).toBe(true);
      expect(delivery.exceptConnection).toBe(ALICE.connection);
    }
    expect(parse(history[2]!.publication?.payload)).toEqual({
      id,
      room: 'lobby',
      user: 'alice',
      time: clock,
    });
  });

  it('publishes typing on the ephemeral typing:<room> channel, not through history', async () => {
    await start();
    await fails(ALICE, 'chat.typing', { room: 'lobby' }, 'BadRequest'); // no such room yet
    await ok(ALICE, 'chat.join', { room: 'lobby' });
    expect(await ok(ALICE, 'chat.typing', { room: 'lobby' })).toEqual({
      type: 'chat.typing',
      body: { room: 'lobby' },
    });
    await waitFor('the typing publication', () =>
      traffic().some((r) => r.delivery.publication?.type === 'chat.typing'),
    );
    const typing = traffic().find((r) => r.delivery.publication?.type === 'chat.typing')!;
    expect(typing.route).toEqual(channelRoute('typing:lobby'));
    expect(typing.delivery.durable).toBe(false);
    expect(typing.delivery.exceptConnection).toBe(ALICE.connection);
    expect(parse(typing.delivery.publication?.payload)).toEqual({ room: 'lobby', user: 'alice' });
    // A durable message published after the typing indicator: had typing gone to history, it would be first.
    await ok(ALICE, 'chat.send', { room: 'lobby', text: 'after typing' });
    await waitFor('the message in history', () => history.length === 1);
    expect(history.map((d) => d.publication?.type)).toEqual(['chat.message']);
  });

  it('announces join and leave on the room channel and tracks members', async () => {
    await start();
    expect((await ok(ALICE, 'chat.join', { room: 'lobby' })).body).toEqual({
      room: 'lobby',
      members: ['alice'],
    });
    expect((await ok(BOB, 'chat.join', { room: 'lobby' })).body).toEqual({
      room: 'lobby',
      members: ['alice', 'bob'],
    });
    expect((await ok(BOB, 'chat.leave', { room: 'lobby' })).body).toEqual({ room: 'lobby' });
    await waitFor('join, join, leave', () => traffic().length === 3);
    expect(
      traffic().map((r) => [r.route, r.delivery.publication?.type, r.delivery.exceptConnection]),
    ).toEqual([
      [channelRoute('chat:lobby'), 'chat.joined', ALICE.connection],
      [channelRoute('chat:lobby'), 'chat.joined', BOB.connection],
      [channelRoute('chat:lobby'), 'chat.left', BOB.connection],
    ]);
    expect(await store.members('lobby')).toEqual(['alice']);
  });

  it('sends a private message to the recipient user route only', async () => {
    await start({ newId: () => 'pm-1' });
    const sent = await ok(ALICE, 'chat.private', { to: 'bob', text: ' psst ' });
    const message = { id: 'pm-1', from: 'alice', to: 'bob', text: 'psst', time: clock };
    expect(sent).toEqual({ type: 'chat.private.sent', body: message });
    await waitFor('the push to bob', () => traffic().length === 1);
    const [push] = traffic();
    expect(push!.route).toEqual(userRoute('bob'));
    expect(push!.delivery.user).toBe('bob');
    expect(push!.delivery.push?.id).toBe('pm-1');
    expect(push!.delivery.push?.type).toBe('chat.private');
    expect(parse(push!.delivery.push?.payload)).toEqual(message);
    await fails(ALICE, 'chat.private', { to: '', text: 'x' }, 'BadRequest');
    // Nothing went to a channel or to history.
    await ok(ALICE, 'chat.send', { room: 'lobby', text: 'marker' });
    await waitFor('the marker', () => history.length === 1);
    expect(traffic()).toHaveLength(1);
  });

  describe('room bounds (issue 13, defect 8)', () => {
    const CAROL = { user: 'carol', connection: `${NODE}.carol1` };

    it('lets a user create only roomCreationsPerUserPerHour new rooms, refilled over the hour', async () => {
      await start({ roomCreationsPerUserPerHour: 3 });
      for (const room of ['r1', 'r2', 'r3']) await ok(ALICE, 'chat.join', { room });
      expect(await fails(ALICE, 'chat.join', { room: 'r4' }, 'RateLimited')).toMatch(/3 new rooms per hour/);
      expect(await fails(ALICE, 'chat.send', { room: 'r4', text: 'x' }, 'RateLimited')).toMatch(/new rooms/);
      // Existing rooms cost nothing, and other users have their own bucket.
      await ok(ALICE, 'chat.join', { room: 'r1' });
      await ok(ALICE, 'chat.send', { room: 'r2', text: 'still fine' });
      await ok(BOB, 'chat.join', { room: 'b1' });
      clock += 20 * 60_000; // a third of an hour: one creation back
      await ok(ALICE, 'chat.join', { room: 'r4' });
      await fails(ALICE, 'chat.join', { room: 'r5' }, 'RateLimited');
      expect((await store.listRooms(100)).total).toBe(5);
    });

    it('refuses new rooms once maxRooms exist, for every user, while existing rooms keep working', async () => {
      await start({ maxRooms: 4, roomCreationsPerUserPerHour: 100 });
      // 20 connections' worth of attempts from three users: no more than 4 rooms ever exist.
      for (let i = 0; i < 20; i++) {
        const client = [ALICE, BOB, CAROL][i % 3]!;
        const reply = await request(client, 'chat.join', { room: `spam-${i}` });
        if (i < 4) expect(reply.error ?? undefined).toBeUndefined();
        else expect(reply.error?.code).toBe(ErrorCodes.ServiceError.wire);
      }
      expect((await store.listRooms(100)).total).toBe(4);
      expect(await fails(CAROL, 'chat.send', { room: 'more', text: 'x' }, 'ServiceError')).toMatch(
        /room limit \(4\)/,
      );
      await ok(CAROL, 'chat.send', { room: 'spam-0', text: 'existing room' });
    });

    it('answers chat.rooms with at most roomsListLimit rooms, most recently active first, and the total', async () => {
      await start({ roomsListLimit: 3, roomCreationsPerUserPerHour: 100 });
      for (const room of ['a', 'b', 'c', 'd', 'e']) {
        clock += 1000;
        await ok(ALICE, 'chat.join', { room });
      }
      clock += 1000;
      await ok(BOB, 'chat.send', { room: 'b', text: 'b is active again' });
      expect((await ok(ALICE, 'chat.rooms', {})).body).toEqual({
        rooms: ['b', 'e', 'd'],
        total: 5,
        limit: 3,
      });
      expect((await ok(ALICE, 'chat.rooms', { limit: 1 })).body).toEqual({
        rooms: ['b'],
        total: 5,
        limit: 1,
      });
      expect((await ok(ALICE, 'chat.rooms', '')).body).toEqual({
        rooms: ['b', 'e', 'd'],
        total: 5,
        limit: 3,
      });
      expect(await fails(ALICE, 'chat.rooms', { limit: 4 }, 'BadRequest')).toMatch(/"limit" must be/);
      await fails(ALICE, 'chat.rooms', { limit: 0 }, 'BadRequest');
      await fails(ALICE, 'chat.rooms', 'not json', 'BadRequest');
    });

    it('rejects room names that are too long or carry other characters, creating nothing', async () => {
      await start();
      const attacks = ['x'.repeat(101), '', 'a b', 'ünï', 'chat:lobby', 'a/b', 'a*', '{tag}', 'a\nb', 42];
      for (const room of attacks)
        expect(await fails(ALICE, 'chat.join', { room }, 'BadRequest')).toMatch(/"room" must be/);
      await ok(ALICE, 'chat.join', { room: 'x'.repeat(100) });
      expect((await store.listRooms(100)).total).toBe(1);
    });
  });
});
