import { BusUnavailableError, channelRoute, userRoute } from '@switchboard/bus';
import { waitFor } from '@switchboard/bus/conformance';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  decodeDelivery,
  decodeInbound,
  decodeOrderEvent,
  ErrorCodes,
  type OrderEvent,
  switchboard,
} from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.js';
import { routes } from './routes.js';
import { startApi } from './server.js';
import { answeringService, type Harness, KEY, OTHER_KEY, startHarness, text } from './testing/harness.js';

const v1 = switchboard.v1;
let h: Harness;

beforeEach(async () => {
  h = await startHarness({ maxBodyBytes: 1024 });
});
afterEach(async () => {
  await h.close();
});

const publication = { channel: 'news', type: 'article', data: { x: 1 } };

describe('auth', () => {
  it('401 without a key, with a wrong key, with a key of another length', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-key-1' },
      { 'x-api-key': 'short' },
    ];
    for (const headers of attempts) {
      const answer = await h.call('POST', '/v1/publish', publication, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('SB_ERR_UNAUTHORIZED');
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
    }
  });

  it('accepts every configured key, as Bearer or X-API-Key', async () => {
    expect(
      (await h.call('POST', '/v1/publish', publication, { authorization: `Bearer ${KEY}` })).status,
    ).toBe(202);
    expect((await h.call('POST', '/v1/publish', publication, { 'x-api-key': OTHER_KEY })).status).toBe(202);
  });

  it('checks the key before the body', async () => {
    const answer = await h.call('POST', '/v1/publish', { channel: '' }, {});
    expect(answer.status).toBe(401);
  });
});

describe('validation', () => {
  const cases: [string, string, unknown, string][] = [
    ['POST', '/v1/publish', { type: 't', data: 1 }, 'channel'],
    ['POST', '/v1/publish', { channel: '', type: 't', data: 1 }, 'channel'],
    ['POST', '/v1/publish', { channel: 'has space', type: 't', data: 1 }, 'channel'],
    ['POST', '/v1/publish', { channel: 'c'.repeat(256), type: 't', data: 1 }, 'channel'],
    ['POST', '/v1/publish', { channel: 'news', data: 1 }, 'type'],
    ['POST', '/v1/publish', { channel: 'news', type: 7, data: 1 }, 'type'],
    ['POST', '/v1/publish', { channel: 'news', type: 't' }, 'data'],
    ['POST', '/v1/publish', { channel: 'news', type: 't', data: 1, durable: 'yes' }, 'durable'],
    ['POST', '/v1/publish', { channel: 'news', type: 't', data: 1, except: 'no-dot' }, 'except'],
    ['POST', '/v1/publish', { channel: 'news', type: 't', data: 1, chanel: 'x' }, 'chanel'],
    ['POST', '/v1/publish/batch', { items: [] }, 'items'],
    ['POST', '/v1/publish/batch', { items: [publication, { channel: 'news', data: 1 }] }, 'items[1].type'],
    ['POST', '/v1/broadcast', { data: 1 }, 'type'],
    ['POST', '/v1/broadcast', { type: 't' }, 'data'],
    ['POST', '/v1/users/alice/notify', { type: 't', data: 1, requiresAck: 'yes' }, 'requiresAck'],
    ['POST', '/v1/users/alice/notify', { type: '', data: 1 }, 'type'],
    ['POST', '/v1/orders/events', { userId: 'u', kind: 'paid' }, 'orderId'],
    ['POST', '/v1/orders/events', { orderId: 'o', userId: 'u', kind: 'lost' }, 'kind'],
    [
      'POST',
      '/v1/orders/events',
      { orderId: 'o', userId: 'u', kind: 'paid', details: { amountCents: -1 } },
      'details.amountCents',
    ],
    [
      'POST',
      '/v1/orders/events',
      { orderId: 'o', userId: 'u', kind: 'shipped', details: { carier: 'x' } },
      'details.carier',
    ],
    ['POST', '/v1/connections/no-dot/disconnect', {}, 'id'],
    ['POST', '/v1/connections/edge-1.abc/disconnect', { reason: 'r'.repeat(124) }, 'reason'],
    ['POST', '/v1/users/alice/disconnect', { reconnect: 'no' }, 'reconnect'],
    ['GET', '/v1/presence/has%20space', undefined, 'channel'],
    ['GET', '/v1/history/news?limit=0', undefined, 'limit'],
    ['GET', '/v1/history/news?limit=abc', undefined, 'limit'],
    ['GET', '/v1/history/news?before=-1', undefined, 'before'],
  ];

  it.each(cases)('%s %s %j -> 400 naming %s', async (method, path, body, field) => {
    const answer = await h.call(method, path, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'SB_ERR_BAD_REQUEST', field });
    expect(answer.body.error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('400 for a body that is not JSON, not an object, or empty', async () => {
    for (const body of ['{"channel":', '[1,2]', '']) {
      const answer = await h.call('POST', '/v1/publish', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('SB_ERR_BAD_REQUEST');
    }
  });

  it('a batch with one bad item publishes nothing', async () => {
    await h.edge.addInterest(channelRoute('news'));
    const bad = await h.call('POST', '/v1/publish/batch', {
      items: [{ ...publication, type: 'first' }, { channel: 'news' }],
    });
    expect(bad.status).toBe(400);
    expect((await h.call('POST', '/v1/publish', { ...publication, type: 'second' })).status).toBe(202);
    const first = await h.edge.next((d) => d.channel === 'news');
    expect(first.publication?.type).toBe('second');
  });
});

describe('body size', () => {
  it('413 for a body over the limit (Content-Length)', async () => {
    const answer = await h.call('POST', '/v1/publish', { ...publication, data: 'x'.repeat(2000) });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('SB_ERR_BODY_TOO_LARGE');
  });

  it('413 for a chunked body that grows over the limit', async () => {
    const chunk = new TextEncoder().encode(`{"channel":"news","type":"t","data":"${'x'.repeat(600)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${h.api.url}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('SB_ERR_BODY_TOO_LARGE');
  });
});

describe('publishing', () => {
  it('publish reaches the channel route with type, data and except', async () => {
    await h.edge.addInterest(channelRoute('news'));
    const answer = await h.call('POST', '/v1/publish', { ...publication, except: 'edge-1.me' });
    expect(answer.status).toBe(202);
    const delivery = await h.edge.next((d) => d.channel === 'news');
    expect(delivery.publication?.type).toBe('article');
    expect(JSON.parse(text(delivery.publication?.payload))).toEqual({ x: 1 });
    expect(delivery.exceptConnection).toBe('edge-1.me');
  });

  it('a durable publish goes to the history service as history.publish', async () => {
    const received: string[] = [];
    const consumer = await h.services.consumeWork('history', { group: 'history' }, async (message) => {
      const inbound = decodeInbound(message.bytes);
      received.push(`${inbound.type} ${decodeDelivery(inbound.payload).publication?.type}`);
    });
    await h.edge.addInterest(channelRoute('chat:room-1'));
    expect(
      (await h.call('POST', '/v1/publish', { ...publication, channel: 'chat:room-1', durable: true })).status,
    ).toBe(202);
    await expect.poll(() => received).toEqual(['history.publish article']);
    expect(h.edge.deliveries.filter((d) => d.channel === 'chat:room-1')).toEqual([]);
    await consumer.close();
  });

  it('batch publishes every item and reports each', async () => {
    await h.edge.addInterest(channelRoute('a'));
    await h.edge.addInterest(channelRoute('b'));
    const answer = await h.call('POST', '/v1/publish/batch', {
      items: [
        { channel: 'a', type: 't1', data: 'one' },
        { channel: 'b', type: 't2', data: [2] },
      ],
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      accepted: 2,
      failed: 0,
      results: [
        { index: 0, status: 'accepted' },
        { index: 1, status: 'accepted' },
      ],
    });
    expect(text((await h.edge.next((d) => d.channel === 'a')).publication?.payload)).toBe('one');
    expect(text((await h.edge.next((d) => d.channel === 'b')).publication?.payload)).toBe('[2]');
  });

  it('notify reaches the user route and returns the push id', async () => {
    await h.edge.addInterest(userRoute('alice'));
    const answer = await h.call('POST', '/v1/users/alice/notify', {
      type: 'order.update',
      data: { order: 'o-1' },
      requiresAck: true,
    });
    expect(answer.status).toBe(202);
    expect(typeof answer.body.id).toBe('string');
    const delivery = await h.edge.next((d) => d.user === 'alice');
    expect(delivery.push).toMatchObject({ id: answer.body.id, type: 'order.update', requiresAck: true });
    expect(JSON.parse(text(delivery.push?.payload))).toEqual({ order: 'o-1' });
  });

  it('an order event goes to the orders work topic, keyed by user', async () => {
    const events: OrderEvent[] = [];
    const keys: string[] = [];
    await h.services.consumeWork('orders', { group: 'notifications' }, async (message) => {
      keys.push(message.key);
      events.push(decodeOrderEvent(message.bytes));
    });
    const answer = await h.call('POST', '/v1/orders/events', {
      eventId: 'evt-1',
      orderId: 'o-1',
      userId: 'alice',
      kind: 'shipped',
      details: { carrier: 'DHL', trackingNumber: 'T1' },
    });
    expect(answer.status).toBe(202);
    expect(answer.body.eventId).toBe('evt-1');
    const generated = await h.call('POST', '/v1/orders/events', {
      orderId: 'o-2',
      userId: 'bob',
      kind: 'paid',
    });
    expect(generated.body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor('both order events', () => events.length === 2);
    expect(keys).toEqual(['alice', 'bob']);
    expect(events[0]).toMatchObject({ eventId: 'evt-1', orderId: 'o-1', userId: 'alice', kind: 'shipped' });
    expect(events[0]?.shipped).toMatchObject({ carrier: 'DHL', trackingNumber: 'T1' });
    expect(events[1]).toMatchObject({ eventId: generated.body.eventId, kind: 'paid' });
  });

  it('broadcast reaches every node', async () => {
    const answer = await h.call('POST', '/v1/broadcast', { type: 'maintenance', data: { in: '5m' } });
    expect(answer.status).toBe(202);
    const delivery = await h.edge.next((d) => d.all === true);
    expect(delivery.push).toMatchObject({ id: answer.body.id, type: 'maintenance' });
  });

  it('disconnecting a connection sends a Disconnect to its node', async () => {
    const answer = await h.call('POST', '/v1/connections/edge-1.abc/disconnect', {
      reason: 'banned',
      reconnect: false,
    });
    expect(answer.status).toBe(202);
    const delivery = await h.edge.next((d) => d.connection === 'edge-1.abc');
    expect(delivery.disconnect).toMatchObject({ code: 3502, reason: 'banned', reconnect: false });
  });

  it('disconnecting a user sends a Disconnect on the user route (empty body allowed)', async () => {
    await h.edge.addInterest(userRoute('bob'));
    const response = await fetch(`${h.api.url}/v1/users/bob/disconnect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(response.status).toBe(202);
    const delivery = await h.edge.next((d) => d.user === 'bob');
    expect(delivery.disconnect).toMatchObject({ code: 3003, reconnect: true });
  });

  it('503 with the bus error code when the broker does not accept', async () => {
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker });
    const api = await startApi({ transport, keys: [KEY] });
    await transport.close();
    const response = await fetch(`${api.url}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(publication),
    });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('SB_ERR_BUS_CLOSED');
    await api.close();
  });

  it('tells "not published" (503) from "outcome unknown" (504) when the broker connection is lost', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    let maybeDelivered = false;
    // The bus reports whether the message had reached a broker connection before it failed.
    const failing = new Proxy(transport, {
      get: (target, property) => {
        if (property === 'publishDelivery')
          return async () => {
            throw new BusUnavailableError('broker gone', { maybeDelivered });
          };
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const api = await startApi({ transport: failing, keys: [KEY] });
    const publish = async () => {
      const response = await fetch(`${api.url}/v1/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(publication),
      });
      return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
    };
    expect(await publish()).toEqual([503, 'SB_ERR_BUS_UNAVAILABLE']);
    maybeDelivered = true;
    expect(await publish()).toEqual([504, 'SB_ERR_BUS_OUTCOME_UNKNOWN']);
    await api.close();
    await transport.close();
  });
});

describe('queries over the bus', () => {
  it('presence is answered by the presence service through the bus', async () => {
    const service = await answeringService(h.services, 'presence', (inbound) => ({
      presence: {
        channel: v1.PresenceRequest.decode(inbound.payload).channel,
        clients: [
          { userId: 'alice', connectionId: 'edge-1.a', info: new TextEncoder().encode('{"name":"Alice"}') },
          { userId: 'bob', connectionId: 'edge-2.b' },
        ],
      },
    }));
    const answer = await h.call('GET', '/v1/presence/presence-lobby');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      channel: 'presence-lobby',
      clients: [
        { userId: 'alice', connectionId: 'edge-1.a', info: { name: 'Alice' } },
        { userId: 'bob', connectionId: 'edge-2.b' },
      ],
    });
    const [inbound] = service.received;
    expect(inbound).toMatchObject({ service: 'presence', type: 'presence.query', key: 'presence-lobby' });
    expect(inbound?.connectionId.startsWith(`${h.api.nodeId}.`)).toBe(true);
    expect(Number(inbound?.requestId)).toBeGreaterThan(0);
    await service.consumer.close();
  });

  it('history is answered by the history service with limit and before', async () => {
    const service = await answeringService(h.services, 'history', (inbound) => {
      const request = v1.HistoryRequest.decode(inbound.payload);
      return {
        history: {
          channel: request.channel,
          position: { offset: 42, epoch: 'e1' },
          publications: [
            {
              channel: request.channel,
              offset: 8,
              epoch: 'e1',
              type: 'msg',
              payload: new TextEncoder().encode('{"n":8}'),
            },
            {
              channel: request.channel,
              offset: 9,
              epoch: 'e1',
              type: 'msg',
              payload: new Uint8Array([0xff, 0xfe]),
            },
          ],
        },
      };
    });
    const answer = await h.call('GET', '/v1/history/chat:room-1?limit=2&before=10');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      channel: 'chat:room-1',
      position: { offset: 42, epoch: 'e1' },
      publications: [
        { offset: 8, epoch: 'e1', type: 'msg', data: { n: 8 } },
        { offset: 9, type: 'msg', dataBase64: '//4=' },
      ],
    });
    const request = v1.HistoryRequest.decode(service.received[0]!.payload);
    expect(request.limit).toBe(2);
    expect(Number(String(request.beforeOffset))).toBe(10);
    await service.consumer.close();
  });

  it('a service error answer becomes the matching HTTP error', async () => {
    const service = await answeringService(h.services, 'history', () => ({
      error: { code: ErrorCodes.BadChannel.wire, message: 'channel is not durable' },
    }));
    const answer = await h.call('GET', '/v1/history/news');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({ code: 'SB_ERR_BAD_CHANNEL', message: 'channel is not durable' });
    await service.consumer.close();
  });

  it('504 when nobody answers', async () => {
    const quick = await startHarness({ queryTimeoutMs: 50 });
    try {
      const answer = await quick.call('GET', '/v1/presence/lobby');
      expect(answer.status).toBe(504);
      expect(answer.body.error.code).toBe('SB_ERR_TIMEOUT');
    } finally {
      await quick.close();
    }
  });
});

describe('documents and probes', () => {
  it('openapi.json is valid JSON listing every route, without a key', async () => {
    const answer = await h.call('GET', '/v1/openapi.json', undefined, {});
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(answer.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    const documented = Object.entries(answer.body.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = [
      ...routes.map((r) => `${r.method} ${r.path}`),
      'GET /v1/openapi.json',
      'GET /admin',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
    ];
    expect(new Set(documented)).toEqual(new Set(served));
    expect(served).toHaveLength(15);
  });

  it('healthz, readyz and metrics', async () => {
    expect((await h.call('GET', '/healthz', undefined, {})).status).toBe(200);
    expect((await h.call('GET', '/readyz', undefined, {})).body.status).toBe('ready');
    await h.call('POST', '/v1/publish', publication);
    const metrics = await h.call('GET', '/metrics', undefined, {});
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain(
      'switchboard_api_requests_total{route="/v1/publish",method="POST",status="202"} 1',
    );
  });

  it('404 for an unknown route, 405 with Allow for a wrong method', async () => {
    expect((await h.call('GET', '/v1/nope')).status).toBe(404);
    const wrong = await h.call('GET', '/v1/publish');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});
