import type { Socket } from 'node:net';
import { decodeServerFrame } from '@switchboard/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Connection } from './connection.js';
import { EdgeMetrics } from './metrics.js';

/** The connect path's answers leave in the turn that produced them, not with the next flush sweep. */
describe('Connection.sendNow', () => {
  let wss: WebSocketServer | undefined;
  let client: WebSocket | undefined;
  afterEach(async () => {
    client?.terminate();
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  });

  async function pair(
    n = 1,
  ): Promise<{ c: Connection; socket: Socket; got: Promise<Buffer>; received: Promise<Buffer[]> }> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    wss = server;
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const port = (server.address() as { port: number }).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    client = ws;
    const got = new Promise<Buffer>((resolve) => ws.once('message', (data) => resolve(data as Buffer)));
    const messages: Buffer[] = [];
    const received = new Promise<Buffer[]>((resolve) =>
      ws.on('message', (data) => {
        messages.push(data as Buffer);
        if (messages.length === n) resolve(messages);
      }),
    );
    const serverWs = await accepted;
    await new Promise((resolve) =>
      ws.readyState === ws.OPEN ? resolve(undefined) : ws.once('open', resolve),
    );
    const c = new Connection('n.c', serverWs, 'protobuf', pino({ level: 'silent' }), new EdgeMetrics('n'), {
      maxQueuedBytes: 1 << 20,
      rateLimitPerSecond: 10,
      rateLimitBurst: 10,
    });
    return { c, socket: (serverWs as unknown as { _socket: Socket })._socket, got, received };
  }

  it('writes the answer to the socket before returning', async () => {
    const { c, socket, got } = await pair();
    const before = socket.bytesWritten;
    c.sendNow({ id: 7, subscribed: { channel: 'news', durable: false } });
    expect(socket.bytesWritten).toBeGreaterThan(before);
    expect(decodeServerFrame(new Uint8Array(await got)).subscribed?.channel).toBe('news');
  });

  it('where send() leaves it for the sweep of a later turn', async () => {
    const { c, socket, got } = await pair();
    const before = socket.bytesWritten;
    c.send({ id: 7, subscribed: { channel: 'news', durable: false } });
    expect(socket.bytesWritten).toBe(before);
    expect(decodeServerFrame(new Uint8Array(await got)).id).toBe(7);
  });

  it('writes what was queued before it in the same write, in order (Connected, then Subscribed)', async () => {
    const { c, socket, received } = await pair(2);
    const before = socket.bytesWritten;
    c.send({
      id: 1,
      connected: { connectionId: 'n.c', nodeId: 'n', userId: 'u', pingIntervalMs: 1, expiresAtMs: 0 },
    });
    expect(socket.bytesWritten).toBe(before);
    c.sendNow({ id: 2, subscribed: { channel: 'news', durable: false } });
    expect(socket.bytesWritten).toBeGreaterThan(before);
    expect((await received).map((b) => decodeServerFrame(new Uint8Array(b)).id)).toEqual([1, 2]);
  });
});
