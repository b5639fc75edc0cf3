import { CloseCode, ErrorCodes, type switchboard, UnsubscribeCode } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Client, type ClientOptions } from './client.js';
import { ClientError, ServerError, TimeoutError } from './errors.js';
import { FakeEdge, WebSocket } from './test-support/fake-edge.js';
import { collect, nextEvent, sleep, until } from './test-support/wait.js';
import type { WebSocketConstructor } from './transport.js';
import type { Publication } from './types.js';

let edge: FakeEdge;
const clients: Client[] = [];

beforeEach(async () => {
  edge = await FakeEdge.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await edge.close();
});

function newClient(options: ClientOptions = {}): Client {
  const client = new Client(edge.url, {
    token: 't1',
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    minReconnectDelayMs: 5,
    maxReconnectDelayMs: 20,
    timeoutMs: 2_000,
    ...options,
  });
  clients.push(client);
  return client;
}

async function connected(client: Client) {
  const event = nextEvent(client, 'connected');
  client.connect();
  return event;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const pub = (offset: number, epoch = 'e1', channel = 'chat:1'): switchboard.v1.IPublication => ({
  channel,
  offset,
  epoch,
  type: 'msg',
  payload: bytes(`m${offset}`),
});
const offsets = (pubs: Publication[]) => pubs.map((p) => p.offset);

describe('connect', () => {
  it('sends Connect with the token first over the protobuf subprotocol and reports Connected', async () => {
    const client = newClient({ token: 'abc', name: 'test', version: '1.2.3' });
    const states = collect(client, 'state');
    const info = await connected(client);
    const conn = await edge.connection(0);
    expect(conn.frames[0]?.kind).toBe('connect');
    expect(conn.frames[0]?.connect).toMatchObject({ token: 'abc', name: 'test', version: '1.2.3' });
    expect(edge.protocols).toEqual(['switchboard.v1.protobuf']);
    expect(info).toMatchObject({ userId: 'user-abc', nodeId: 'n1' });
    expect(client.connection?.connectionId).toBe(info.connectionId);
    expect(client.state).toBe('connected');
    expect(states.map((s) => s.newState)).toEqual(['connecting', 'connected']);
  });

  it('falls back to a WebSocket it finds itself when none is passed', async () => {
    const client = newClient({ WebSocket: undefined });
    const info = await connected(client);
    expect(info.userId).toBe('user-t1');
  });

  it('refreshes the token and reconnects when the server says the token expired (Error frame + 3501)', async () => {
    const getToken = vi.fn(async ({ expired }: { expired: boolean }) => (expired ? 'fresh' : 'stale'));
    edge.onFrame = (conn, frame) => {
      if (frame.connect?.token === 'stale') {
        conn.send({ id: frame.id, error: { code: ErrorCodes.TokenExpired.wire, message: 'exp' } });
        conn.close(CloseCode.TokenExpired, 'token expired');
        return;
      }
      if (frame.connect) conn.send({ id: frame.id, connected: { connectionId: 'c2', userId: 'u-fresh' } });
    };
    const client = newClient({ getToken });
    const errors = collect(client, 'error');
    const info = await connected(client);
    expect(info.userId).toBe('u-fresh');
    expect(getToken.mock.calls.map(([context]) => context)).toEqual([{ expired: false }, { expired: true }]);
    expect(edge.connections).toHaveLength(2);
    const connectError = errors.find((e) => e.type === 'connect')?.error;
    expect(connectError).toBeInstanceOf(ServerError);
    expect((connectError as ServerError).code).toBe('SB_ERR_TOKEN_EXPIRED');
  });

  it('refreshes the token when a live connection is closed with 3501', async () => {
    const getToken = vi.fn(async ({ expired }: { expired: boolean }) => (expired ? 'second' : 'first'));
    const client = newClient({ getToken });
    await connected(client);
    const again = nextEvent(client, 'connected');
    (await edge.connection(0)).close(CloseCode.TokenExpired, 'token expired');
    expect((await again).userId).toBe('user-second');
    expect(getToken).toHaveBeenLastCalledWith({ expired: true });
  });

  it('stays disconnected after a close code that forbids reconnecting (3500)', async () => {
    const client = newClient();
    await connected(client);
    const disconnected = nextEvent(client, 'disconnected');
    (await edge.connection(0)).close(CloseCode.InvalidToken, 'bad token');
    expect(await disconnected).toEqual({ code: 3500, reason: 'bad token' });
    expect(client.state).toBe('disconnected');
    await sleep(100); // many times the 20 ms backoff cap
    expect(edge.connections).toHaveLength(1);
    expect(client.state).toBe('disconnected');
  });

  it('honours a Disconnect frame: reconnect=true after the hinted delay, reconnect=false stops', async () => {
    const client = newClient();
    await connected(client);
    const again = nextEvent(client, 'connected');
    const connecting = nextEvent(client, 'connecting');
    (await edge.connection(0)).send({
      disconnect: { code: CloseCode.Shutdown, reason: 'drain', reconnect: true, reconnectDelayMs: 30 },
    });
    expect(await connecting).toEqual({ code: 3000, reason: 'drain' });
    await again;
    expect(edge.connections).toHaveLength(2);

    const disconnected = nextEvent(client, 'disconnected');
    (await edge.connection(1)).send({
      disconnect: { code: CloseCode.ForceDisconnect, reason: 'banned', reconnect: false },
    });
    expect(await disconnected).toEqual({ code: 3502, reason: 'banned' });
    await sleep(100);
    expect(edge.connections).toHaveLength(2);
  });

  it('disconnect() stops reconnecting and rejects pending requests', async () => {
    const client = newClient({ minReconnectDelayMs: 50, maxReconnectDelayMs: 50 });
    await connected(client);
    const pending = client.request('svc', 'slow', bytes('x'));
    client.disconnect();
    await expect(pending).rejects.toMatchObject({ code: 'SB_ERR_CLIENT_DISCONNECTED' });
    expect(client.state).toBe('disconnected');
    await sleep(120);
    expect(edge.connections).toHaveLength(1);
  });

  it('ignores late events from an old socket', async () => {
    const sockets: WebSocket[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    }
    const client = newClient({ WebSocket: RecordingWebSocket as unknown as WebSocketConstructor });
    const sub = client.subscribe('room');
    edge.onFrame = (conn, frame) => {
      if (frame.subscribe) conn.send({ id: frame.id, subscribed: { channel: 'room' } });
      else if (frame.connect) conn.send({ id: frame.id, connected: { connectionId: `c${sockets.length}` } });
    };
    await connected(client);
    const resubscribed = nextEvent(sub, 'subscribed');
    (await edge.connection(0)).close(CloseCode.ForceReconnect, 'again');
    await resubscribed;
    expect(sockets).toHaveLength(2);
    const old = sockets[0]!;
    const received = collect(sub, 'publication');
    const states = collect(client, 'state');
    const { encodeServerFrame } = await import('@switchboard/protocol');
    const late = encodeServerFrame({ publication: { channel: 'room', type: 'late', payload: bytes('x') } });
    old.onmessage?.({ data: late.buffer.slice(late.byteOffset, late.byteOffset + late.byteLength) } as never);
    old.onclose?.({ code: CloseCode.InvalidToken, reason: 'late close' } as never);
    old.onerror?.({ message: 'late error' } as never);
    // A frame on the live socket still arrives, after the late ones would have.
    (await edge.connection(1)).send({ publication: { channel: 'room', type: 'live', payload: bytes('y') } });
    await until(() => received.length > 0);
    expect(received.map((p) => p.type)).toEqual(['live']);
    expect(client.state).toBe('connected');
    expect(states).toEqual([]);
    expect(edge.connections).toHaveLength(2);
  });
});

describe('subscriptions', () => {
  it('resubscribes after a reconnect with since = last offset and epoch, and reports recovery', async () => {
    const subscribes: { since: unknown }[] = [];
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: { connectionId: 'c' } });
      if (!frame.subscribe) return;
      subscribes.push({ since: frame.subscribe.since ? { ...frame.subscribe.since } : null });
      if (!frame.subscribe.since) {
        conn.send({
          id: frame.id,
          subscribed: { channel: 'chat:1', durable: true, position: { offset: 2, epoch: 'e1' } },
        });
        conn.send({ publication: pub(3) });
        conn.send({ publication: pub(4) });
      } else {
        conn.send({
          id: frame.id,
          subscribed: {
            channel: 'chat:1',
            durable: true,
            position: { offset: 6, epoch: 'e1' },
            wasRecovering: true,
            recovered: true,
            publications: [pub(5), pub(6)],
          },
        });
        conn.send({ publication: pub(7) });
      }
    };
    const client = newClient();
    const sub = client.subscribe('chat:1');
    expect(sub.state).toBe('subscribing');
    const received = collect(sub, 'publication');
    const subscribedEvents = collect(sub, 'subscribed');
    const subStates = collect(sub, 'state');
    const clientStates = collect(client, 'state');
    await connected(client);
    await until(() => received.length === 2);
    expect(sub.position).toEqual({ offset: 4, epoch: 'e1' });

    (await edge.connection(0)).close(CloseCode.SlowConsumer, 'slow');
    await until(() => received.length === 5);
    expect(offsets(received)).toEqual([3, 4, 5, 6, 7]);
    expect(subscribes).toEqual([{ since: null }, { since: { offset: 4, epoch: 'e1' } }]);
    expect(subscribedEvents.map((e) => [e.wasRecovering, e.recovered])).toEqual([
      [false, false],
      [true, true],
    ]);
    // collected after subscribe(), which already moved it to 'subscribing'
    expect(subStates.map((s) => s.newState)).toEqual(['subscribed', 'subscribing', 'subscribed']);
    expect(clientStates.map((s) => s.newState)).toEqual([
      'connecting',
      'connected',
      'connecting',
      'connected',
    ]);
    expect(sub.position).toEqual({ offset: 7, epoch: 'e1' });
  });

  it('takes the stream top of a Subscribed without publications as its position and resumes from it', async () => {
    const sinces: unknown[] = [];
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: { connectionId: 'c' } });
      if (!frame.subscribe) return;
      const since = frame.subscribe.since;
      sinces.push(since ? { offset: Number(since.offset), epoch: since.epoch } : null);
      conn.send({
        id: frame.id,
        subscribed: {
          channel: 'chat:1',
          durable: true,
          position: { offset: 9, epoch: 'e1' },
          wasRecovering: Boolean(since),
          recovered: Boolean(since),
          publications: since ? [pub(10)] : [],
        },
      });
    };
    const client = newClient();
    const sub = client.subscribe('chat:1');
    const subscribed = collect(sub, 'subscribed');
    const received = collect(sub, 'publication');
    await connected(client);
    await until(() => subscribed.length === 1);
    expect(subscribed[0]).toMatchObject({ wasRecovering: false, position: { offset: 9, epoch: 'e1' } });
    expect(sub.position).toEqual({ offset: 9, epoch: 'e1' });
    expect(received).toEqual([]);

    (await edge.connection(0)).close(CloseCode.SlowConsumer, 'slow');
    await until(() => received.length === 1);
    expect(sinces).toEqual([null, { offset: 9, epoch: 'e1' }]);
    expect(offsets(received)).toEqual([10]);
    expect(sub.position).toEqual({ offset: 10, epoch: 'e1' });
  });

  it('drops publications with an offset already seen (another epoch: see continuity.test.ts)', async () => {
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: {} });
      if (frame.subscribe) {
        conn.send({
          id: frame.id,
          subscribed: { channel: 'chat:1', durable: true, position: { offset: 0, epoch: 'e1' } },
        });
        for (const p of [pub(1), pub(2), pub(2), pub(1), pub(3), pub(3), pub(4)])
          conn.send({ publication: p });
      }
    };
    const client = newClient();
    const sub = client.subscribe('chat:1');
    const received = collect(sub, 'publication');
    await connected(client);
    await until(() => received.length === 4);
    expect(received.map((p) => `${p.epoch}:${p.offset}`)).toEqual(['e1:1', 'e1:2', 'e1:3', 'e1:4']);
  });

  it('delivers recovered publications in order before live ones that raced ahead of Subscribed', async () => {
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: {} });
      if (frame.subscribe) {
        // Live publications 8 and 6 (a duplicate of a recovered one) arrive before the answer.
        conn.send({ publication: pub(8) });
        conn.send({ publication: pub(6) });
        conn.send({
          id: frame.id,
          subscribed: {
            channel: 'chat:1',
            durable: true,
            wasRecovering: true,
            recovered: true,
            position: { offset: 7, epoch: 'e1' },
            publications: [pub(7), pub(5), pub(6)],
          },
        });
        conn.send({ publication: pub(9) });
      }
    };
    const client = newClient();
    const sub = client.subscribe('chat:1', { since: { offset: 4, epoch: 'e1' } });
    const received = collect(sub, 'publication');
    const subscribed = nextEvent(sub, 'subscribed');
    await connected(client);
    expect(await subscribed).toMatchObject({ recovered: true, wasRecovering: true, durable: true });
    await until(() => received.length === 5);
    expect(offsets(received)).toEqual([5, 6, 7, 8, 9]);
    const subscribe = (await edge.connection(0)).frames.find((f) => f.subscribe)?.subscribe;
    expect({ ...subscribe?.since }).toEqual({ offset: 4, epoch: 'e1' });
  });

  it('reports recovered=false and moves to the stream top', async () => {
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: {} });
      if (frame.subscribe)
        conn.send({
          id: frame.id,
          subscribed: {
            channel: 'chat:1',
            durable: true,
            wasRecovering: true,
            recovered: false,
            position: { offset: 40, epoch: 'e9' },
          },
        });
    };
    const client = newClient();
    const sub = client.subscribe('chat:1', { since: { offset: 4, epoch: 'e1' } });
    const subscribed = nextEvent(sub, 'subscribed');
    await connected(client);
    expect(await subscribed).toMatchObject({ recovered: false, wasRecovering: true });
    expect(sub.position).toEqual({ offset: 40, epoch: 'e9' });
  });

  it('goes unsubscribed with an error when the server refuses, and on a server Unsubscribed', async () => {
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: {} });
      if (frame.subscribe?.channel === 'private-x')
        conn.send({ id: frame.id, error: { code: ErrorCodes.PermissionDenied.wire, message: 'no token' } });
      else if (frame.subscribe) {
        conn.send({ id: frame.id, subscribed: { channel: frame.subscribe.channel } });
        conn.send({ unsubscribed: { channel: frame.subscribe.channel, code: 3, reason: 'kicked' } });
      }
    };
    const client = newClient();
    const denied = client.subscribe('private-x');
    const errors = collect(denied, 'error');
    const kicked = client.subscribe('room');
    const deniedGone = nextEvent(denied, 'unsubscribed');
    const kickedGone = nextEvent(kicked, 'unsubscribed');
    await connected(client);
    expect(await deniedGone).toEqual({
      code: ErrorCodes.PermissionDenied.wire,
      reason: 'permission denied: no token',
    });
    expect(errors[0]?.error).toMatchObject({ name: 'ServerError', code: 'SB_ERR_PERMISSION_DENIED' });
    expect(await kickedGone).toEqual({ code: 3, reason: 'kicked' });
    expect(kicked.state).toBe('unsubscribed');
  });

  for (const when of ['while its Subscribe is unanswered', 'once subscribed'] as const)
    it(`on a server Unsubscribed 2500 (${when}) subscribes again from its position on the same socket and recovers the gap`, async () => {
      const sinces: unknown[] = [];
      edge.onFrame = (conn, frame) => {
        if (frame.connect) conn.send({ id: frame.id, connected: { connectionId: 'c' } });
        if (!frame.subscribe) return;
        const since = frame.subscribe.since;
        sinces.push(since ? { offset: Number(since.offset), epoch: since.epoch } : null);
        if (!since) {
          conn.send({
            id: frame.id,
            subscribed: { channel: 'chat:1', durable: true, position: { offset: 0, epoch: 'e1' } },
          });
          conn.send({ publication: pub(1) });
          conn.send({ publication: pub(2) });
          // The edge lost the bus: 3 and 4 never reached it. It keeps the subscription and says so.
          const hint = () => {
            conn.send({
              unsubscribed: { channel: 'chat:1', code: UnsubscribeCode.InsufficientState, reason: 'bus' },
            });
            conn.send({ publication: pub(5) }); // live, raced ahead of the re-sync answer
          };
          if (when === 'once subscribed') setTimeout(hint, 50);
          else hint();
        } else {
          conn.send({
            id: frame.id,
            subscribed: {
              channel: 'chat:1',
              durable: true,
              position: { offset: 5, epoch: 'e1' },
              wasRecovering: true,
              recovered: true,
              publications: [pub(3), pub(4), pub(5)],
            },
          });
          conn.send({ publication: pub(6) });
        }
      };
      const client = newClient();
      const sub = client.subscribe('chat:1');
      const received = collect(sub, 'publication');
      const states = collect(sub, 'state');
      const unsubscribed = collect(sub, 'unsubscribed');
      const clientStates = collect(client, 'state');
      await connected(client);
      await until(() => received.length === 6);
      expect(offsets(received)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(sinces).toEqual([null, { offset: 2, epoch: 'e1' }]);
      expect(states.map((s) => s.newState)).toEqual(['subscribed', 'subscribing', 'subscribed']);
      expect(unsubscribed).toEqual([]);
      expect(clientStates.map((s) => s.newState)).toEqual(['connecting', 'connected']); // same socket
      expect(sub.state).toBe('subscribed');
    });

  it('sends Unsubscribe and stops delivering after unsubscribe()', async () => {
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: {} });
      if (frame.subscribe) conn.send({ id: frame.id, subscribed: { channel: 'room' } });
      if (frame.ping) conn.send({ id: frame.id, pong: {} });
      if (frame.unsubscribe) {
        conn.send({ id: frame.id, unsubscribed: { channel: 'room' } });
        conn.send({ publication: { channel: 'room', type: 'after' } });
      }
    };
    const client = newClient();
    const sub = client.subscribe('room');
    const received = collect(sub, 'publication');
    const subscribed = nextEvent(sub, 'subscribed');
    await connected(client);
    await subscribed;
    sub.unsubscribe();
    const conn = await edge.connection(0);
    expect((await conn.next('unsubscribe')).unsubscribe?.channel).toBe('room');
    await client.ping(); // the pong comes after the publication
    expect(received).toEqual([]);
    expect(sub.state).toBe('unsubscribed');
  });
});

describe('commands', () => {
  /** How many more times the fake edge answers a `flaky` request with a temporary error. */
  let flakyFailures = 0;
  beforeEach(() => {
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: {} });
      const send = frame.send;
      if (send?.requestId && send.type === 'echo')
        conn.send({ reply: { requestId: send.requestId, type: 'echoed', payload: send.payload } });
      if (send?.requestId && send.type === 'flaky')
        conn.send({
          reply:
            flakyFailures-- > 0
              ? {
                  requestId: send.requestId,
                  error: { code: ErrorCodes.Timeout.wire, message: 'busy', temporary: true },
                }
              : { requestId: send.requestId, type: 'done' },
        });
      if (send?.requestId && send.type === 'fail')
        conn.send({
          reply: {
            requestId: send.requestId,
            error: { code: ErrorCodes.ServiceError.wire, message: 'nope' },
          },
        });
      if (send?.requestId && send.type === 'refused')
        conn.send({
          id: frame.id,
          error: { code: ErrorCodes.RateLimited.wire, message: 'slow down', temporary: true },
        });
      if (frame.history)
        conn.send({
          id: frame.id,
          history: {
            channel: frame.history.channel,
            position: { offset: 9, epoch: 'e' },
            publications: [pub(8), pub(9)],
          },
        });
      if (frame.presence)
        conn.send({
          id: frame.id,
          presence: { channel: frame.presence.channel, clients: [{ userId: 'u1', connectionId: 'c1' }] },
        });
    };
  });

  it('request resolves with the reply; send is fire and forget with its key', async () => {
    const client = newClient();
    await connected(client);
    const reply = await client.request('chat', 'echo', bytes('hi'), { key: 'room-1' });
    expect(reply.type).toBe('echoed');
    expect(new TextDecoder().decode(reply.payload)).toBe('hi');
    client.send('chat', 'typing', bytes('..'), { key: 'room-1' });
    const conn = await edge.connection(0);
    await conn.next('send');
    const fire = await conn.next('send');
    expect(fire.send).toMatchObject({ service: 'chat', type: 'typing', key: 'room-1', requestId: '' });
  });

  it('request rejects with a typed error on an error reply, an Error frame, or a client-side timeout', async () => {
    const client = newClient();
    await connected(client);
    const failed = await client.request('orders', 'fail', bytes('')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ServerError);
    expect(failed).toMatchObject({ code: 'SB_ERR_SERVICE', wire: 151, temporary: false });
    const refused = await client.request('orders', 'refused', bytes('')).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'ServerError', code: 'SB_ERR_RATE_LIMITED', temporary: true });
    const timedOut = await client
      .request('orders', 'silent', bytes(''), { timeoutMs: 30 })
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(timedOut).toMatchObject({ code: 'SB_ERR_CLIENT_TIMEOUT', temporary: true });
  });

  it('request with retries sends again after a temporary error, not after a permanent one', async () => {
    const client = newClient();
    await connected(client);
    flakyFailures = 2;
    const reply = await client.request('chat', 'flaky', bytes('x'), { retries: 3 });
    expect(reply.type).toBe('done');
    const conn = await edge.connection(0);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) sent.push((await conn.next('send')).send?.type ?? '');
    expect(sent).toEqual(['flaky', 'flaky', 'flaky']);
    flakyFailures = 5;
    const exhausted = await client.request('chat', 'flaky', bytes('x'), { retries: 1 }).catch((e) => e);
    expect(exhausted).toMatchObject({ name: 'ServerError', temporary: true });
    expect(flakyFailures).toBe(3); // two attempts, no more
    const permanent = await client.request('orders', 'fail', bytes(''), { retries: 3 }).catch((e) => e);
    expect(permanent).toMatchObject({ code: 'SB_ERR_SERVICE', temporary: false });
  });

  it('commands fail fast with NotConnected before connecting', async () => {
    const client = newClient();
    await expect(client.request('a', 'b', bytes(''))).rejects.toBeInstanceOf(ClientError);
    expect(() => client.send('a', 'b', bytes(''))).toThrow(/not connected/);
  });

  it('history and presence are commands answered by id', async () => {
    const client = newClient();
    await connected(client);
    const [history, presence] = await Promise.all([
      client.history('chat:1', { limit: 2, beforeOffset: 10 }),
      client.presence('presence-lobby'),
    ]);
    expect(history.position).toEqual({ offset: 9, epoch: 'e' });
    expect(offsets(history.publications)).toEqual([8, 9]);
    expect(presence.clients.map((c) => c.userId)).toEqual(['u1']);
    const frame = await (await edge.connection(0)).next('history');
    expect(frame.history).toMatchObject({ channel: 'chat:1', limit: 2, beforeOffset: 10 });
  });

  it('emits push notifications and acks them in one Ack frame, also acks given while offline', async () => {
    const client = newClient();
    client.ack('early');
    const pushed = nextEvent(client, 'push');
    await connected(client);
    const conn = await edge.connection(0);
    expect((await conn.next('ack')).ack?.ids).toEqual(['early']);
    conn.send({ push: { id: 'n1', type: 'order.shipped', payload: bytes('{}'), requiresAck: true } });
    const push = await pushed;
    expect(push).toMatchObject({ id: 'n1', type: 'order.shipped', requiresAck: true });
    client.ack(push.id);
    client.ack(['n2', 'n3']);
    expect((await conn.next('ack')).ack?.ids).toEqual(['n1', 'n2', 'n3']);
  });

  it('app-level ping gets a pong; a missing pong reconnects', async () => {
    let answerPings = true;
    edge.onFrame = (conn, frame) => {
      if (frame.connect) conn.send({ id: frame.id, connected: {} });
      if (frame.ping && answerPings) conn.send({ id: frame.id, pong: { timeMs: frame.ping.timeMs } });
    };
    const client = newClient({ pingIntervalMs: 10, timeoutMs: 50 });
    await connected(client);
    expect(await client.ping()).toBeGreaterThanOrEqual(0);
    answerPings = false;
    const connecting = nextEvent(client, 'connecting');
    expect(await connecting).toMatchObject({ code: CloseCode.NoPong });
    answerPings = true;
    await nextEvent(client, 'connected');
    expect(edge.connections).toHaveLength(2);
  });
});
