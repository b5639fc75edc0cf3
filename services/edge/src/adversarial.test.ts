import { decodeClientFrame } from '@switchboard/protocol';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connect, sign, startBus, subscribe, TestClient } from './testing/harness.js';

describe('bad input gets its documented code and never disturbs a well-behaved client', () => {
  let bus: Bus;
  let good: TestClient;
  let ticks = 0;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    bus = await startBus(1, {
      limits: {
        maxPayloadBytes: 1024,
        maxMalformedFrames: 3,
        rateLimitPerSecond: 1,
        rateLimitBurst: 5,
        rateLimitCloseAfter: 10,
      },
    });
    good = (await connect(bus.nodes[0]!.url, 'good')).client;
    expect((await subscribe(good, 1, 'ticks')).kind).toBe('subscribed');
  });
  afterEach(async () => {
    // A tick after every attack: the good client must have every tick, in order, none missing.
    const n = ticks++;
    await bus.deliver({ channel: 'ticks', publication: { channel: 'ticks', type: 'tick', offset: n } });
    await good.next((f) => f.publication?.type === 'tick' && Number(f.publication.offset) === n);
    const seen = good.frames
      .filter((f) => f.publication?.type === 'tick')
      .map((f) => Number(f.publication!.offset));
    expect(seen).toEqual([...Array(ticks).keys()]);
    expect(good.ws.readyState).toBe(good.ws.OPEN);
    for (const c of clients.splice(0)) await c.close();
  });
  afterAll(async () => {
    await good.close();
    await bus.close();
  });

  const open = (options: ConstructorParameters<typeof TestClient>[1]) => {
    const client = new TestClient(bus.nodes[0]!.url, options);
    clients.push(client);
    return client;
  };

  it('wrong signature: Error 110 (InvalidToken) and close 3500', async () => {
    const client = open({
      token: await sign({ sub: 'mallory' }, { secret: 'another-secret-another-secret-xx' }),
    });
    expect((await client.next((f) => f.kind === 'error')).error!.code).toBe(110);
    expect((await client.closed).code).toBe(3500);
    expect(client.frames.find((f) => f.kind === 'disconnect')?.disconnect?.reconnect).toBe(false);
  });

  it('expired token: Error 111 (TokenExpired) and close 3501', async () => {
    const client = open({
      token: await sign({ sub: 'late' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
    });
    expect((await client.next((f) => f.kind === 'error')).error!.code).toBe(111);
    expect((await client.closed).code).toBe(3501);
  });

  it('no token and no Connect: Error 103 and close 3504', async () => {
    const client = open({});
    await client.opened;
    client.send({ id: 7, ping: {} });
    expect((await client.next((f) => f.kind === 'error')).error!.code).toBe(103);
    expect((await client.closed).code).toBe(3504);
  });

  it('token in the first Connect frame is accepted', async () => {
    const client = open({});
    await client.opened;
    client.send({ id: 3, connect: { token: await sign({ sub: 'framed' }, { expiresIn: '1h' }) } });
    const connected = await client.next((f) => f.id === 3);
    expect(connected.connected?.userId).toBe('framed');
  });

  it("another user's user: channel: Error 113 (PermissionDenied), connection stays usable", async () => {
    const { client } = await connect(bus.nodes[0]!.url, 'eve');
    clients.push(client);
    expect((await subscribe(client, 1, 'user:good')).error?.code).toBe(113);
    expect((await subscribe(client, 2, 'user:eve')).kind).toBe('subscribed');
  });

  it('private- channel without token: Error 113; with a subscription token for the channel: subscribed', async () => {
    const { client } = await connect(bus.nodes[0]!.url, 'eve');
    clients.push(client);
    expect((await subscribe(client, 1, 'private-ops')).error?.code).toBe(113);
    const wrong = await sign({ sub: 'eve', channel: 'private-other' }, { expiresIn: '1h' });
    expect((await subscribe(client, 2, 'private-ops', wrong)).error?.code).toBe(113);
    const right = await sign({ sub: 'eve', channel: 'private-ops' }, { expiresIn: '1h' });
    expect((await subscribe(client, 3, 'private-ops', right)).kind).toBe('subscribed');
  });

  it('oversized frame: close 1009', async () => {
    const { client } = await connect(bus.nodes[0]!.url, 'big');
    clients.push(client);
    client.sendRaw(new Uint8Array(4096));
    expect((await client.closed).code).toBe(1009);
  });

  it('random bytes: Error 100 (BadFrame) for each, close 1007 after 3', async () => {
    const undecodable = fc.uint8Array({ minLength: 1, maxLength: 512 }).filter((bytes) => {
      try {
        decodeClientFrame(bytes);
        return false;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(fc.array(undecodable, { minLength: 3, maxLength: 3 }), async (garbage) => {
        const { client } = await connect(bus.nodes[0]!.url, 'fuzzer');
        try {
          for (const bytes of garbage) client.sendRaw(bytes);
          const { code } = await client.closed;
          expect(code).toBe(1007);
          expect(client.count((f) => f.error?.code === 100)).toBe(3);
        } finally {
          await client.close();
        }
      }),
      { numRuns: 15 },
    );
  });

  it('text frame on the Protobuf subprotocol counts as malformed', async () => {
    const { client } = await connect(bus.nodes[0]!.url, 'texter');
    clients.push(client);
    client.sendRaw('{"ping":{}}');
    expect((await client.next((f) => f.kind === 'error')).error!.code).toBe(100);
  });

  it('flood past the rate limit: Error 130 (RateLimited), then close 3004', async () => {
    const { client } = await connect(bus.nodes[0]!.url, 'flooder');
    clients.push(client);
    for (let i = 1; i <= 40; i++) client.send({ id: i, ping: {} });
    expect((await client.next((f) => f.error?.code === 130)).error!.temporary).toBe(true);
    expect((await client.closed).code).toBe(3004);
    expect(client.count((f) => f.kind === 'pong')).toBeLessThan(40);
  });

  it('origin not in the allow-list: close 3505', async () => {
    const strict = await startBus(1, { allowedOrigins: ['https://ok.example'] });
    try {
      const bad = new TestClient(strict.nodes[0]!.url, {
        token: await sign({ sub: 'x' }),
        origin: 'https://evil.example',
      });
      expect((await bad.closed).code).toBe(3505);
      const ok = new TestClient(strict.nodes[0]!.url, {
        token: await sign({ sub: 'x' }),
        origin: 'https://ok.example',
      });
      await ok.next((f) => f.kind === 'connected');
      await ok.close();
    } finally {
      await strict.close();
    }
  });
});
