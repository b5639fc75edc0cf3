import { decodeClientFrame } from '@switchboard/protocol';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connect, sign, startBus, subscribe, TestClient } from './testing/harness.js';
import { TickingNeighbour } from './testing/neighbour.js';

describe('bad input gets its documented code and never disturbs a well-behaved client', () => {
  let bus: Bus;
  let neighbour: TickingNeighbour;
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
    neighbour = new TickingNeighbour(bus);
    await neighbour.start();
  });
  afterEach(async () => {
    await neighbour.check();
    for (const c of clients.splice(0)) await c.close();
  });
  afterAll(async () => {
    await neighbour.close();
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
    expect(client.frames.find((f) => f.kind === 'disconnect')?.disconnect).toMatchObject({ code: 3504 });
  });

  it('Connect without a token: Error 112 (Unauthorized), Disconnect 3500 (no reconnect), close 3500', async () => {
    for (const json of [false, true]) {
      const client = open({ json });
      await client.opened;
      client.send({ id: 2, connect: {} });
      const { code } = await client.closed;
      expect(client.frames.map((f) => f.kind)).toEqual(['error', 'disconnect']);
      expect(client.frames[0]!.error).toMatchObject({ code: 112 });
      expect(client.frames[0]!.id).toBe(2);
      expect(client.frames[1]!.disconnect).toMatchObject({ code: 3500, reconnect: false });
      expect(code).toBe(3500);
    }
  });

  it('?token= connects on its own (Connected, id 0); a later Connect gets Error 102 and changes nothing', async () => {
    const client = open({ token: await sign({ sub: 'early' }) });
    const connected = await client.next((f) => f.kind === 'connected');
    expect(connected.id).toBe(0);
    client.send({ id: 8, connect: { token: await sign({ sub: 'someone-else' }) } });
    const answer = await client.next((f) => f.id === 8);
    expect(answer.error).toMatchObject({ code: 102, message: 'request is not valid: already connected' });
    client.send({ id: 9, subscribe: { channel: 'user:early' } });
    expect((await client.next((f) => f.id === 9)).kind).toBe('subscribed');
    expect(client.ws.readyState).toBe(client.ws.OPEN);
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

  it('oversized frame: Error 101 (FrameTooLarge), Disconnect 1009, close 1009 with a reason', async () => {
    const { client } = await connect(bus.nodes[0]!.url, 'big');
    clients.push(client);
    client.sendRaw(new Uint8Array(4096));
    const { code, reason } = await client.closed;
    expect(code).toBe(1009);
    expect(reason).toMatch(/1024 bytes/);
    const kinds = client.frames.map((f) => f.kind);
    expect(kinds.slice(-2)).toEqual(['error', 'disconnect']);
    expect(client.frames.at(-2)!.error).toMatchObject({ code: 101, temporary: false });
    expect(client.frames.at(-2)!.error!.message).toMatch(/maxPayloadBytes \(1024 bytes\)/);
    expect(client.frames.at(-1)!.disconnect).toMatchObject({ code: 1009, reconnect: false });
  });

  it('a text frame that is not UTF-8: Error 100 (BadFrame), Disconnect 1007, close 1007', async () => {
    const { client } = await connect(bus.nodes[0]!.url, 'utf', { json: true });
    clients.push(client);
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
    expect(client.frames.at(-2)!.error).toMatchObject({ code: 100 });
    expect(client.frames.at(-1)!.disconnect).toMatchObject({ code: 1007, reconnect: false });
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
          expect(client.frames.at(-1)?.disconnect).toMatchObject({ code: 1007, reconnect: false });
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

  it('no Connect frame within connectTimeoutMs: Error 103, Disconnect 3504, close 3504', async () => {
    const impatient = await startBus(1, { connectTimeoutMs: 200 });
    try {
      const client = new TestClient(impatient.nodes[0]!.url, {});
      const { code } = await client.closed;
      expect(code).toBe(3504);
      expect(client.frames.map((f) => f.kind)).toEqual(['error', 'disconnect']);
      expect(client.frames[0]!.error).toMatchObject({ code: 103 });
      // A slow network looks the same as a client that never sends Connect: it may try again (with backoff).
      expect(client.frames[1]!.disconnect).toMatchObject({
        code: 3504,
        reason: 'connect timeout',
        reconnect: true,
      });
    } finally {
      await impatient.close();
    }
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
