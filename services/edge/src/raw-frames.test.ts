import type { AddressInfo, Socket } from 'node:net';
import {
  decodeServerFrame,
  type IServerFrame,
  type ServerFrame,
  serverFrameFromJson,
  serverFrameToJson,
} from '@switchboard/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Connection } from './connection.js';
import { EdgeMetrics } from './metrics.js';
import { buildFrame, headerLength, rawSocketOf } from './raw-frames.js';
import { connect, startBus, subscribe } from './testing/harness.js';
import { EncodedFrame, type WireFormat } from './wire.js';

const silent = pino({ level: 'silent' });
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket;

interface Pair {
  server: WebSocket;
  client: WebSocket;
  /** Messages the client received, in order. */
  messages: { data: Buffer; isBinary: boolean }[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the client holds at least `n` messages. */
  received(n: number): Promise<void>;
}

let wss: WebSocketServer | undefined;
const opened: WebSocket[] = [];

async function listen(deflate = false): Promise<WebSocketServer> {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: deflate ? { threshold: 0 } : false,
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  wss = server;
  return server;
}

async function pair(server: WebSocketServer, deflate = false): Promise<Pair> {
  const accepted = new Promise<WebSocket>((resolve) => server.once('connection', (ws) => resolve(ws)));
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: deflate });
  opened.push(client);
  const messages: Pair['messages'] = [];
  const waiters = new Set<() => void>();
  client.on('message', (data: Buffer, isBinary) => {
    messages.push({ data, isBinary });
    for (const wake of waiters) wake();
  });
  client.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    client.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const ws = await accepted;
  opened.push(ws);
  return {
    server: ws,
    client,
    messages,
    closed,
    received: (n) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${messages.length} of ${n} messages`)), 5_000);
        const check = () => {
          if (messages.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Records every buffer written to `socket`, by reference (still writing them). */
function recordWrites(socket: Socket): Buffer[] {
  const writes: Buffer[] = [];
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  (socket as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
    writes.push(args[0] as Buffer);
    return write(...args);
  };
  return writes;
}

function connection(ws: WebSocket, format: WireFormat = 'protobuf', maxQueuedBytes = 64 << 20): Connection {
  const c = new Connection('n.c', ws, format, silent, new EdgeMetrics('n'), {
    maxQueuedBytes,
    rateLimitPerSecond: 1000,
    rateLimitBurst: 1000,
  });
  c.state = 'connected';
  return c;
}

function publication(seq: number, size: number): IServerFrame {
  const payload = new Uint8Array(size).fill(seq % 251);
  return { publication: { channel: 'c', type: 't', offset: seq, payload } };
}

const seqOf = (frame: ServerFrame) => Number(frame.publication?.offset ?? -1);

afterEach(async () => {
  for (const ws of opened.splice(0)) ws.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  wss = undefined;
});

describe('buildFrame', () => {
  // 125/126 and 65535/65536 are the boundaries of the 7-bit, 16-bit and 64-bit length forms.
  const lengths = [0, 1, 100, 125, 126, 127, 1000, 65535, 65536, 70_000, 300_000];

  it.each(lengths)('header length and fields for a %i-byte payload', (length) => {
    const payload = new Uint8Array(length).map((_, i) => i % 256);
    const frame = buildFrame(payload);
    const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
    expect(headerLength(length)).toBe(head);
    expect(frame.byteLength).toBe(head + length);
    expect(frame[0]).toBe(0x82); // FIN, no RSV, binary
    expect(frame[1]! & 0x80).toBe(0); // unmasked
    const declared =
      length < 126 ? frame[1] : length < 65536 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
    expect(frame[1]).toBe(length < 126 ? length : length < 65536 ? 126 : 127);
    expect(declared).toBe(length);
    expect(frame.subarray(head).equals(payload)).toBe(true);
    expect(buildFrame(payload, false)[0]).toBe(0x81); // FIN, text
  });

  it.each(
    lengths.flatMap((length) => [
      [length, true],
      [length, false],
    ]),
  )('is byte for byte what ws sends for %i bytes (binary: %s)', async (length, binary) => {
    const server = await listen();
    const { server: ws } = await pair(server);
    const writes = recordWrites(socketOf(ws));
    const payload = Buffer.alloc(length as number, binary ? 0xfe : 0x61); // text: valid UTF-8
    ws.send(payload, { binary: binary as boolean });
    expect(Buffer.concat(writes).equals(buildFrame(payload, binary as boolean))).toBe(true);
  });

  it('frames JSON as a text message of its UTF-8 bytes (non-ASCII included)', async () => {
    const frame = { error: { code: 400, message: 'ünïcödé ✓ 🚀', temporary: false } };
    const encoded = new EncodedFrame(frame);
    const json = serverFrameToJson(frame);
    const server = await listen();
    const { server: ws } = await pair(server);
    const writes = recordWrites(socketOf(ws));
    ws.send(json);
    expect(Buffer.concat(writes.map((w) => Buffer.from(w))).equals(encoded.framed('json'))).toBe(true);
    expect(encoded.framed('json')[0]).toBe(0x81);
    expect(encoded.framed('protobuf')[0]).toBe(0x82);
  });
});

describe('per-tick coalescing', () => {
  it('many deliveries in one tick: one socket write, separate messages in order', async () => {
    const server = await listen();
    const p = await pair(server);
    const c = connection(p.server);
    expect(c.preFramed).toBe(true);
    const writes = recordWrites(socketOf(p.server));
    // Sizes across the three length forms.
    const sizes = Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? 70_000 : i % 10 === 3 ? 1_000 : 100));
    for (let i = 0; i < sizes.length; i++)
      expect(c.write(new EncodedFrame(publication(i, sizes[i]!)))).toBe('queued');
    await p.received(sizes.length);
    expect(writes).toHaveLength(1);
    const frames = p.messages.map((m) => {
      expect(m.isBinary).toBe(true);
      return decodeServerFrame(new Uint8Array(m.data));
    });
    expect(frames.map(seqOf)).toEqual(sizes.map((_, i) => i));
    expect(frames.map((f) => f.publication?.payload?.byteLength)).toEqual(sizes);
  });

  it('JSON subprotocol: text messages, in order', async () => {
    const server = await listen();
    const p = await pair(server);
    const c = connection(p.server, 'json');
    for (let i = 0; i < 50; i++) c.write(new EncodedFrame(publication(i, 20)));
    await p.received(50);
    expect(p.messages.every((m) => !m.isBinary)).toBe(true);
    expect(p.messages.map((m) => seqOf(serverFrameFromJson(m.data.toString())))).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('connections with the same frames in a tick share one concatenated buffer', async () => {
    const server = await listen();
    const a = await pair(server);
    const b = await pair(server);
    const ca = connection(a.server);
    const cb = connection(b.server);
    const wa = recordWrites(socketOf(a.server));
    const wb = recordWrites(socketOf(b.server));
    for (let i = 0; i < 20; i++) {
      const encoded = new EncodedFrame(publication(i, 100));
      ca.write(encoded);
      cb.write(encoded);
    }
    ca.send({ pong: { timeMs: 1 } }); // b's queue differs from here on: its own concatenation
    await Promise.all([a.received(21), b.received(20)]);
    expect([wa.length, wb.length]).toEqual([1, 1]);
    expect(wa[0]).not.toBe(wb[0]);
    for (let i = 0; i < 20; i++) {
      const encoded = new EncodedFrame(publication(100 + i, 100));
      ca.write(encoded);
      cb.write(encoded);
    }
    await Promise.all([a.received(41), b.received(40)]);
    expect([wa.length, wb.length]).toEqual([2, 2]);
    expect(wa[1]).toBe(wb[1]);
    const seqs = (m: Pair['messages']) => m.map((x) => seqOf(decodeServerFrame(new Uint8Array(x.data))));
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => i),
      ...Array.from({ length: 20 }, (_, i) => 100 + i),
    ];
    expect(seqs(b.messages)).toEqual(expected);
    expect(seqs(a.messages)).toEqual([...expected.slice(0, 20), -1, ...expected.slice(20)]);
  });

  it('permessage-deflate: falls back to ws.send, messages intact and in order', async () => {
    const server = await listen(true);
    const p = await pair(server, true);
    expect(p.client.extensions).toContain('permessage-deflate');
    expect(rawSocketOf(p.server)).toBeUndefined();
    const c = connection(p.server);
    expect(c.preFramed).toBe(false);
    for (let i = 0; i < 100; i++) c.write(new EncodedFrame(publication(i, i % 2 ? 2_000 : 50)));
    await p.received(100);
    expect(p.messages.map((m) => seqOf(decodeServerFrame(new Uint8Array(m.data))))).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('the slow-consumer bound counts this tick’s queue: past it, dropped and 3001 after what fitted', async () => {
    const server = await listen();
    const p = await pair(server);
    const frameBytes = buildFrame(new EncodedFrame(publication(0, 1_000)).payload('protobuf')).byteLength;
    const c = connection(p.server, 'protobuf', frameBytes * 10 + frameBytes / 2);
    const results = Array.from({ length: 15 }, (_, i) => c.write(new EncodedFrame(publication(i, 1_000))));
    expect(results.slice(0, 10).every((r) => r === 'queued')).toBe(true);
    expect(results[10]).toBe('dropped');
    expect(results.slice(11).every((r) => r === 'closed')).toBe(true);
    expect((await p.closed).code).toBe(3001);
    const frames = p.messages.map((m) => decodeServerFrame(new Uint8Array(m.data)));
    expect(frames.slice(0, 10).map(seqOf)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(frames[10]?.disconnect).toMatchObject({ code: 3001, reconnect: true });
    expect(frames).toHaveLength(11);
  });

  it('never writes to a socket ws is closing: the tick’s queue is dropped', async () => {
    const server = await listen();
    const p = await pair(server);
    const c = connection(p.server);
    const writes = recordWrites(socketOf(p.server));
    for (let i = 0; i < 5; i++) c.write(new EncodedFrame(publication(i, 100)));
    p.server.close(1000, 'bye'); // ws writes its close frame and leaves OPEN before the flush
    expect((await p.closed).code).toBe(1000);
    expect(p.messages).toHaveLength(0);
    // Only ws's close frame (code 1000, "bye") went out: none of the queued frames.
    expect(Buffer.concat(writes).equals(Buffer.from([0x88, 5, 0x03, 0xe8, 0x62, 0x79, 0x65]))).toBe(true);
  });

  it('disconnect flushes the tick’s queue before the Disconnect frame and the close', async () => {
    const server = await listen();
    const p = await pair(server);
    const c = connection(p.server);
    for (let i = 0; i < 5; i++) c.write(new EncodedFrame(publication(i, 100)));
    c.disconnect(3000, 'shutdown', true, 10);
    expect((await p.closed).code).toBe(3000);
    const frames = p.messages.map((m) => decodeServerFrame(new Uint8Array(m.data)));
    expect(frames.map(seqOf)).toEqual([0, 1, 2, 3, 4, -1]);
    expect(frames[5]?.disconnect).toMatchObject({ code: 3000, reconnect: true, reconnectDelayMs: 10 });
  });
});

describe('feature check', () => {
  it('falls back to ws.send without a usable private socket or with an extension', () => {
    expect(rawSocketOf({ extensions: '' } as unknown as WebSocket)).toBeUndefined();
    expect(rawSocketOf({ extensions: '', _socket: {} } as unknown as WebSocket)).toBeUndefined();
    expect(
      rawSocketOf({ extensions: 'permessage-deflate', _socket: { write() {} } } as unknown as WebSocket),
    ).toBeUndefined();
  });
});

describe('fan-out through an edge node', () => {
  it('a burst of deliveries reaches Protobuf and JSON clients whole and in order, metrics counted', async () => {
    const bus = await startBus(1);
    const node = bus.nodes[0]!;
    const clients = [
      await connect(node.url, 'a'),
      await connect(node.url, 'b'),
      await connect(node.url, 'j', { json: true }),
    ].map((c) => c.client);
    try {
      for (const [i, c] of clients.entries()) await subscribe(c, i + 1, 'burst');
      const framesBefore = (await node.metrics.framesOut.get()).values[0]?.value ?? 0;
      const count = 200;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          bus.deliver({
            channel: 'burst',
            publication: {
              channel: 'burst',
              type: 't',
              offset: i,
              payload: new Uint8Array(i % 3 ? 100 : 300),
            },
          }),
        ),
      );
      for (const c of clients) {
        await c.next((f) => seqOf(f) === count - 1);
        const received = c.frames.filter((f) => f.publication?.channel === 'burst');
        expect(received.map(seqOf)).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(received.map((f) => f.publication?.payload?.byteLength)).toEqual(
          Array.from({ length: count }, (_, i) => (i % 3 ? 100 : 300)),
        );
      }
      const framesAfter = (await node.metrics.framesOut.get()).values[0]?.value ?? 0;
      expect(framesAfter - framesBefore).toBe(count * clients.length);
    } finally {
      for (const c of clients) await c.close();
      await bus.close();
    }
  });
});
