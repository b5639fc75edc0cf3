import { BusClosedError, channelRoute, type NodeSubscription, type Route, userRoute } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  ChannelNameError,
  type Delivery,
  decodeDelivery,
  decodeInbound,
  type Inbound,
} from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PublisherError, PublisherErrorCodes } from './errors.js';
import { HISTORY_PUBLISH_TYPE, HISTORY_TOPIC, Publisher } from './publisher.js';

const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

/** An edge node as the edge opens it: its inbox plus the interest its local connections need. */
interface Edge {
  readonly node: string;
  readonly sub: NodeSubscription;
  readonly got: Delivery[];
}

describe('Publisher on the memory bus', () => {
  let broker: MemoryBroker;
  let transports: MemoryTransport[];
  let a: Edge;
  let b: Edge;
  let publisher: Publisher;
  let clock: number;

  const connect = () => {
    const transport = new MemoryTransport({ broker });
    transports.push(transport);
    return transport;
  };

  const openEdge = async (node: string, interests: Route[]): Promise<Edge> => {
    const got: Delivery[] = [];
    const sub = await connect().openNode(node, (bytes) => got.push(decodeDelivery(bytes)));
    for (const route of interests) await sub.addInterest(route);
    return { node, sub, got };
  };

  /**
   * Per-publisher order: once a marker sent after the deliveries under test has reached every edge, anything
   * else that was going to reach an edge has too. Returns what each edge got before its marker.
   */
  const settle = async (): Promise<{ a: Delivery[]; b: Delivery[] }> => {
    for (const edge of [a, b]) await publisher.toConnection(`${edge.node}.marker`, 'marker', '');
    const upToMarker = (edge: Edge) => {
      const index = edge.got.findIndex((d) => d.push?.type === 'marker');
      return index < 0 ? undefined : edge.got.slice(0, index);
    };
    for (let i = 0; i < 100 && (!upToMarker(a) || !upToMarker(b)); i++)
      await new Promise((r) => setImmediate(r));
    const result = { a: upToMarker(a), b: upToMarker(b) };
    if (!result.a || !result.b) throw new Error('markers did not arrive');
    return { a: result.a, b: result.b };
  };

  beforeEach(async () => {
    broker = new MemoryBroker();
    transports = [];
    clock = 1_700_000_000_000;
    a = await openEdge('edge-a', [channelRoute('chat:room-1'), userRoute('alice')]);
    b = await openEdge('edge-b', [channelRoute('news'), userRoute('bob')]);
    publisher = new Publisher({ transport: connect(), now: () => clock, newId: () => 'push-1' });
  });

  afterEach(async () => {
    for (const transport of transports) await transport.close();
  });

  it('sends a channel publication only to the node interested in the channel, keeping except and trace', async () => {
    await publisher.toChannel(
      'chat:room-1',
      'message',
      { text: 'hi' },
      { except: 'edge-a.c1', traceId: 't-1' },
    );
    const got = await settle();
    expect(got.b).toEqual([]);
    expect(got.a).toHaveLength(1);
    const delivery = got.a[0]!;
    expect(delivery.target).toBe('channel');
    expect(delivery.channel).toBe('chat:room-1');
    expect(delivery.exceptConnection).toBe('edge-a.c1');
    expect(delivery.durable).toBe(false);
    expect(delivery.traceId).toBe('t-1');
    expect(Number(delivery.publishedAtMs)).toBe(clock);
    expect(delivery.body).toBe('publication');
    expect(delivery.publication?.channel).toBe('chat:room-1');
    expect(delivery.publication?.type).toBe('message');
    expect(JSON.parse(text(delivery.publication?.payload))).toEqual({ text: 'hi' });
  });

  it('pushes to a user only on the node holding that user, with an id to ack', async () => {
    const id = await publisher.toUser('bob', 'order.paid', 'paid', { requiresAck: true, except: 'edge-b.x' });
    const got = await settle();
    expect(id).toBe('push-1');
    expect(got.a).toEqual([]);
    expect(got.b).toHaveLength(1);
    const delivery = got.b[0]!;
    expect(delivery.target).toBe('user');
    expect(delivery.user).toBe('bob');
    expect(delivery.exceptConnection).toBe('edge-b.x');
    expect(delivery.push?.id).toBe('push-1');
    expect(delivery.push?.requiresAck).toBe(true);
    expect(delivery.push?.type).toBe('order.paid');
    expect(text(delivery.push?.payload)).toBe('paid');
  });

  it('routes a connection push to the node embedded in the connection id', async () => {
    await publisher.toConnection('edge-b.Zk3_x-9', 'hello', new Uint8Array([1, 2, 3]), { id: 'p-7' });
    const got = await settle();
    expect(got.a).toEqual([]);
    expect(got.b.map((d) => [d.target, d.connection, d.push?.id])).toEqual([
      ['connection', 'edge-b.Zk3_x-9', 'p-7'],
    ]);
    expect([...(got.b[0]!.push?.payload ?? [])]).toEqual([1, 2, 3]);
  });

  it('pushes to all nodes', async () => {
    await publisher.toAll('maintenance', { at: 5 }, { except: 'edge-a.admin' });
    const got = await settle();
    for (const deliveries of [got.a, got.b]) {
      expect(deliveries.map((d) => [d.target, d.all, d.exceptConnection, d.push?.type])).toEqual([
        ['all', true, 'edge-a.admin', 'maintenance'],
      ]);
    }
  });

  it('disconnects a connection or a user with a code and a reconnect hint', async () => {
    await publisher.disconnect({ connection: 'edge-a.c1' }, { reason: 'kicked', reconnect: false });
    await publisher.disconnect({ user: 'bob' }, { code: 3000, reason: 'move', reconnectDelayMs: 500 });
    await publisher.disconnect({ user: 'alice' });
    const got = await settle();
    expect(
      got.a.map((d) => [d.target, d.disconnect?.code, d.disconnect?.reason, d.disconnect?.reconnect]),
    ).toEqual([
      ['connection', 3502, 'kicked', false],
      ['user', 3003, '', true],
    ]);
    expect(got.b.map((d) => [d.user, d.disconnect?.code, d.disconnect?.reconnectDelayMs])).toEqual([
      ['bob', 3000, 500],
    ]);
  });

  it('sends durable publications through the history topic, keeping except, trace and durable', async () => {
    const seen: { key: string; inbound: Inbound }[] = [];
    await connect().consumeWork(HISTORY_TOPIC, { group: 'history' }, async (message) => {
      seen.push({ key: message.key, inbound: decodeInbound(message.bytes) });
    });
    await publisher.toChannel('chat:room-1', 'message', 'hello', {
      durable: true,
      except: 'edge-a.c1',
      traceId: 't-2',
      from: { userId: 'alice', connectionId: 'edge-a.c1' },
    });
    const got = await settle();
    // Not straight to the edges: the history service assigns the offset first.
    expect(got.a).toEqual([]);
    expect(got.b).toEqual([]);
    expect(seen).toHaveLength(1);
    const { key, inbound } = seen[0]!;
    expect(key).toBe('chat:room-1');
    expect([inbound.service, inbound.type, inbound.key, inbound.traceId]).toEqual([
      'history',
      HISTORY_PUBLISH_TYPE,
      'chat:room-1',
      't-2',
    ]);
    const delivery = decodeDelivery(inbound.payload);
    expect(delivery.channel).toBe('chat:room-1');
    expect(delivery.durable).toBe(true);
    expect(delivery.exceptConnection).toBe('edge-a.c1');
    expect(delivery.traceId).toBe('t-2');
    expect(Number(delivery.publishedAtMs)).toBe(clock);
    expect(delivery.publication?.from?.userId).toBe('alice');
    expect(text(delivery.publication?.payload)).toBe('hello');
  });

  it('refuses bad arguments with typed errors before publishing anything', async () => {
    const refused = async (call: () => Promise<unknown>, code: string) => {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PublisherError);
      expect((error as PublisherError).code).toBe(code);
      return error as PublisherError;
    };
    const bad = await refused(
      () => publisher.toChannel('bad channel!', 't', ''),
      PublisherErrorCodes.BadChannel,
    );
    expect(bad.cause).toBeInstanceOf(ChannelNameError);
    expect(bad.message).toContain('bad channel!');
    await refused(() => publisher.toChannel('', 't', ''), PublisherErrorCodes.BadChannel);
    await refused(() => publisher.toUser('', 't', ''), PublisherErrorCodes.BadUser);
    for (const id of ['no-dot', '.random', 'edge-a.', 'bad node.x'])
      await refused(() => publisher.toConnection(id, 't', ''), PublisherErrorCodes.BadConnection);
    await refused(() => publisher.toAll('', ''), PublisherErrorCodes.BadType);
    await refused(() => publisher.toAll('t', { n: 1n }), PublisherErrorCodes.BadPayload);
    await refused(
      () => publisher.disconnect({ user: 'bob' }, { code: 99 }),
      PublisherErrorCodes.BadDisconnect,
    );
    await refused(() => publisher.send({ type: 'x' } as never), PublisherErrorCodes.BadTarget);
    const got = await settle();
    expect(got.a).toEqual([]);
    expect(got.b).toEqual([]);
  });

  it('rejects with the bus error when the transport is closed', async () => {
    const transport = connect();
    const closed = new Publisher(transport);
    await transport.close();
    await expect(closed.toChannel('news', 't', '')).rejects.toBeInstanceOf(BusClosedError);
    await expect(closed.toUser('bob', 't', '')).rejects.toBeInstanceOf(BusClosedError);
  });

  it('routes a raw delivery by its target', async () => {
    await publisher.send({ connection: 'edge-a.c9', reply: { requestId: 'r1', type: 'ok' } });
    const got = await settle();
    expect(got.b).toEqual([]);
    expect(got.a.map((d) => [d.connection, d.reply?.requestId])).toEqual([['edge-a.c9', 'r1']]);
  });
});

describe('PublisherErrorCodes', () => {
  it('are unique and namespaced', () => {
    const codes = Object.values(PublisherErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SB_ERR_PUBLISH_[A-Z_]+$/);
  });
});
