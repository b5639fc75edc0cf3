import { createServer } from 'node:http';
import { type AddressInfo, type Socket, connect as tcpConnect } from 'node:net';
import { CloseCode, ErrorCodes, type ServerFrame } from '@switchboard/protocol';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connect, sign, startBus, subscribe, TestClient } from './testing/harness.js';
import { TickingNeighbour } from './testing/neighbour.js';

/** Resolves once the server ended `socket`; rejects past `ms` (far above the deadlines configured here). */
function serverClosed(socket: Socket, ms = 5_000): Promise<{ received: number }> {
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ received });
    });
  });
}

/** The Error frame, the Disconnect frame and the close a refused client got (code 0: it was let in). */
async function refusal(client: TestClient) {
  const end = await client.next((f) => f.kind === 'disconnect' || f.kind === 'connected');
  const { code, reason } = end.kind === 'disconnect' ? await client.closed : { code: 0, reason: '' };
  const error = client.frames.find((f) => f.kind === 'error')?.error;
  const disconnect = client.frames.find((f: ServerFrame) => f.kind === 'disconnect')?.disconnect;
  return { code, reason, error, disconnect, connected: client.count((f) => f.kind === 'connected') };
}

describe('trust boundary: every attack is refused with its documented code, and a neighbour misses nothing', () => {
  let bus: Bus;
  let neighbour: TickingNeighbour;
  const clients: TestClient[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Token and user-id bounds stay at their defaults: those are what the tests check.
    bus = await startBus(1, { handshakeTimeoutMs: 200 });
    neighbour = new TickingNeighbour(bus);
    await neighbour.start();
  });
  afterEach(async () => {
    await neighbour.check();
    for (const c of clients.splice(0)) await c.close();
    for (const s of sockets.splice(0)) s.destroy();
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
  const raw = () => {
    const socket = tcpConnect(bus.nodes[0]!.port, '127.0.0.1');
    sockets.push(socket);
    return socket;
  };

  describe('raw sockets before the upgrade (handshakeTimeoutMs)', () => {
    it('destroys TCP connections that never send a byte', async () => {
      const silent = Array.from({ length: 50 }, raw);
      const results = await Promise.all(silent.map((s) => serverClosed(s)));
      expect(results.every((r) => r.received === 0)).toBe(true);
      // The attack is visible to the operator.
      const metric = await bus.nodes[0]!.metrics.registry.getSingleMetricAsString(
        'switchboard_edge_handshake_timeouts_total',
      );
      expect(metric).toMatch(/switchboard_edge_handshake_timeouts_total(\{[^}]*\})? 50$/m);
    });

    it('destroys a socket that drips its request head a byte at a time (the deadline is not reset by bytes)', async () => {
      const socket = raw();
      const head = `GET /ws HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${'X-Pad: y\r\n'.repeat(20)}\r\n`;
      let at = 0;
      const drip = setInterval(() => {
        if (at < head.length && socket.writable) socket.write(head[at++]!);
      }, 20);
      try {
        await serverClosed(socket);
        expect(at).toBeLessThan(head.length);
      } finally {
        clearInterval(drip);
      }
    });

    it('leaves upgraded connections and plain requests alone', async () => {
      const { client } = await connect(bus.nodes[0]!.url, 'idle');
      clients.push(client);
      // A silent socket opened after the upgrade: once it is gone, the upgraded one has idled past the deadline.
      await serverClosed(raw());
      client.send({ id: 2, ping: {} });
      expect((await client.next((f) => f.id === 2)).kind).toBe('pong');
      const health = await fetch(`http://127.0.0.1:${bus.nodes[0]!.port}/healthz`);
      expect(health.status).toBe(200);
    });
  });

  describe('channels and token kinds', () => {
    it('private- deeper than the first namespace still needs a subscription token', async () => {
      const { client } = await connect(bus.nodes[0]!.url, 'eve');
      clients.push(client);
      expect((await subscribe(client, 1, 'a:b:private-c')).error?.code).toBe(
        ErrorCodes.PermissionDenied.wire,
      );
      expect((await subscribe(client, 2, ':private-c')).error?.code).toBe(ErrorCodes.PermissionDenied.wire);
      const token = await sign({ sub: 'eve', channel: 'a:b:private-c' });
      expect((await subscribe(client, 3, 'a:b:private-c', token)).kind).toBe('subscribed');
    });

    it('a subscription token (channel claim) does not open a connection, in ?token= or in Connect', async () => {
      const token = await sign({ sub: 'good', channel: 'private-ops' });
      const viaQuery = await refusal(open({ token }));
      const framed = open({});
      await framed.opened;
      framed.send({ id: 4, connect: { token } });
      const viaFrame = await refusal(framed);
      for (const r of [viaQuery, viaFrame]) {
        expect(r.connected).toBe(0);
        expect(r.error?.code).toBe(ErrorCodes.InvalidToken.wire);
        expect(r.error?.message).toMatch(/subscription token/);
        expect(r.disconnect).toMatchObject({ code: CloseCode.InvalidToken, reconnect: false });
        expect(r.code).toBe(CloseCode.InvalidToken);
      }
    });

    it('a connection token (no channel claim) does not open a private channel', async () => {
      const { client } = await connect(bus.nodes[0]!.url, 'eve');
      clients.push(client);
      const answer = await subscribe(client, 1, 'private-ops', await sign({ sub: 'eve' }));
      expect(answer.error?.code).toBe(ErrorCodes.PermissionDenied.wire);
      expect(answer.error?.message).toMatch(/no channel claim/);
    });
  });

  describe('token claims and sizes', () => {
    it('refuses a token without exp unless allowTokensWithoutExp', async () => {
      const token = await sign({ sub: 'forever' }, { expiresIn: null });
      const r = await refusal(open({ token }));
      expect(r.error?.code).toBe(ErrorCodes.InvalidToken.wire);
      expect(r.error?.message).toMatch(/no exp claim/);
      expect(r.disconnect?.code).toBe(CloseCode.InvalidToken);
      expect(r.code).toBe(CloseCode.InvalidToken);
      expect(r.connected).toBe(0);

      const lenient = await startBus(1, { allowTokensWithoutExp: true });
      try {
        const client = new TestClient(lenient.nodes[0]!.url, { token });
        expect((await client.next((f) => f.kind === 'connected')).connected?.expiresAtMs).toBe(0);
        await client.close();
      } finally {
        await lenient.close();
      }
    });

    it('refuses user ids over 128 bytes or with control, format or separator characters', async () => {
      const refused = [
        'a'.repeat(129),
        '€'.repeat(43), // 129 bytes of UTF-8 in 43 characters
        'x'.repeat(10_000),
        'ali\u0000ce',
        'bob\nadmin',
        'eve\u202Eevil', // right-to-left override
        'zero\u200Bwidth',
        'tab\tbed',
        'nbsp\u00A0user',
      ];
      for (const sub of refused) {
        const r = await refusal(open({ token: await sign({ sub }) }));
        expect(r.connected, JSON.stringify(sub)).toBe(0);
        expect(r.error?.code, JSON.stringify(sub)).toBe(ErrorCodes.InvalidToken.wire);
        expect(r.disconnect?.code).toBe(CloseCode.InvalidToken);
        expect(r.code).toBe(CloseCode.InvalidToken);
      }
      for (const sub of ['b'.repeat(128), '€'.repeat(42), 'José Ñandú', 'user@example.com', 'a b']) {
        const client = open({ token: await sign({ sub }) });
        expect((await client.next((f) => f.kind === 'connected')).connected?.userId).toBe(sub);
      }
    });

    it('refuses validly signed tokens over maxTokenBytes in Connect, ?token=, Subscribe and Refresh', async () => {
      // ~55 KB of token (base64url of the claims): a Connect frame under the 64 KiB frame limit.
      const huge = await sign({ sub: 'big', info: 'i'.repeat(40_000) });
      expect(huge.length).toBeGreaterThan(50_000);
      const framed = open({});
      await framed.opened;
      framed.send({ id: 5, connect: { token: huge } });
      // 12 KB: under Node's 16 KiB request-head limit, over the 8 KiB token bound.
      const query = open({ token: await sign({ sub: 'big', info: 'i'.repeat(12_000) }) });
      for (const r of [await refusal(framed), await refusal(query)]) {
        expect(r.connected).toBe(0);
        expect(r.error?.code).toBe(ErrorCodes.InvalidToken.wire);
        expect(r.error?.message).toMatch(/maxTokenBytes/);
        expect(r.code).toBe(CloseCode.InvalidToken);
      }

      const { client } = await connect(bus.nodes[0]!.url, 'big');
      clients.push(client);
      const subToken = await sign({ sub: 'big', channel: 'private-x', pad: 'p'.repeat(20_000) });
      const answer = await subscribe(client, 6, 'private-x', subToken);
      expect(answer.error?.code).toBe(ErrorCodes.PermissionDenied.wire);
      expect(answer.error?.message).toMatch(/maxTokenBytes/);
      client.send({ id: 7, refresh: { token: await sign({ sub: 'big', info: 'i'.repeat(20_000) }) } });
      expect((await client.next((f) => f.id === 7)).error?.code).toBe(ErrorCodes.InvalidToken.wire);
      expect((await client.closed).code).toBe(CloseCode.InvalidToken);
    });
  });

  describe('per-connection bounds', () => {
    it('frames piling up behind a command that waits are refused past maxInboxBytes (Error 130)', async () => {
      // A JWKS endpoint that never answers: the ?token= verification waits, and so does every frame after it.
      const jwks = createServer(() => undefined);
      await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
      const stalled = await startBus(1, {
        jwtSecret: undefined,
        jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`,
        limits: { maxInboxBytes: 200 },
      });
      try {
        const { privateKey } = await generateKeyPair('RS256');
        const token = await new SignJWT({ sub: 'piler' })
          .setProtectedHeader({ alg: 'RS256', kid: 'k' })
          .setExpirationTime('1h')
          .sign(privateKey);
        const client = new TestClient(stalled.nodes[0]!.url, { token });
        await client.opened;
        for (let id = 1; id <= 40; id++) client.send({ id, ping: { timeMs: id } });
        const refused = await client.next((f) => f.error?.code === ErrorCodes.RateLimited.wire);
        expect(refused.error?.message).toMatch(/maxInboxBytes/);
        // ~10 bytes a Ping: the first ~20 wait, the rest are refused, each with its own id.
        await client.next((f) => f.id === 40);
        const refusedIds = client.frames.filter((f) => f.error?.code === 130).map((f) => f.id);
        expect(refusedIds.length).toBeGreaterThan(0);
        expect(refusedIds.length).toBeLessThan(40);
        expect(refusedIds.at(-1)).toBe(40);
        expect(client.count((f) => f.kind === 'connected' || f.kind === 'pong')).toBe(0);
        await client.close();
      } finally {
        await stalled.close();
        jwks.closeAllConnections();
        jwks.close();
      }
    });
  });
});
