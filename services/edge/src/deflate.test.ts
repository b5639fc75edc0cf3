import type { Socket } from 'node:net';
import { decodeServerFrame, encodeClientFrame, type ServerFrame, Subprotocol } from '@switchboard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Bus, sign, startBus } from './testing/harness.js';

/** A raw ws client offering permessage-deflate, with access to its TCP socket to count wire bytes. */
class DeflateClient {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[] = [];
  readonly opened: Promise<void>;
  socket: Socket | undefined;
  #waiters = new Set<() => void>();

  constructor(url: string, token: string) {
    this.ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, [Subprotocol.Protobuf], {
      perMessageDeflate: true,
    });
    this.ws.on('upgrade', (res) => {
      this.socket = res.socket as Socket;
    });
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data: Buffer) => {
      this.frames.push(decodeServerFrame(new Uint8Array(data)));
      for (const wake of this.#waiters) wake();
    });
  }

  next(predicate: (frame: ServerFrame) => boolean, timeoutMs = 5_000): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.frames.find(predicate);
        if (!found) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no matching frame in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.terminate();
    await closed;
  }
}

/** Publishes `payload` on `news` and returns the payload received plus the TCP bytes it took. */
async function roundTrip(bus: Bus, client: DeflateClient, offset: number, payload: Uint8Array) {
  const before = client.socket!.bytesRead;
  await bus.deliver({ channel: 'news', publication: { channel: 'news', type: 'big', offset, payload } });
  const frame = await client.next(
    (f) => f.publication?.type === 'big' && Number(f.publication.offset) === offset,
  );
  return {
    payload: Buffer.from(frame.publication?.payload ?? []),
    wireBytes: client.socket!.bytesRead - before,
  };
}

async function subscribed(bus: Bus): Promise<DeflateClient> {
  const client = new DeflateClient(bus.nodes[0]!.url, await sign({ sub: 'zip' }, { expiresIn: '1h' }));
  await client.next((f) => f.kind === 'connected');
  client.ws.send(encodeClientFrame({ id: 1, subscribe: { channel: 'news' } }));
  expect((await client.next((f) => f.id === 1)).kind).toBe('subscribed');
  return client;
}

describe('permessage-deflate', () => {
  let bus: Bus | undefined;
  let client: DeflateClient | undefined;
  afterEach(async () => {
    await client?.close();
    await bus?.close();
    client = undefined;
    bus = undefined;
  });

  const big = new Uint8Array(32 * 1024).fill(0x61);
  const small = new Uint8Array(64).fill(0x62);

  it('enabled: the extension is negotiated, large publications arrive compressed and intact', async () => {
    bus = await startBus(1, { deflate: true, deflateThresholdBytes: 256 });
    client = await subscribed(bus);
    expect(client.ws.extensions).toContain('permessage-deflate');

    const large = await roundTrip(bus, client, 1, big);
    expect(large.payload.equals(big)).toBe(true);
    expect(large.wireBytes).toBeLessThan(big.byteLength / 4);

    // Below the threshold the frame is sent as is, and still decodes.
    const below = await roundTrip(bus, client, 2, small);
    expect(below.payload.equals(small)).toBe(true);
    expect(below.wireBytes).toBeGreaterThan(small.byteLength);
  });

  it('default (off): the extension is not negotiated and frames go uncompressed', async () => {
    bus = await startBus(1);
    client = await subscribed(bus);
    expect(client.ws.extensions).not.toContain('permessage-deflate');

    const large = await roundTrip(bus, client, 1, big);
    expect(large.payload.equals(big)).toBe(true);
    expect(large.wireBytes).toBeGreaterThan(big.byteLength);
  });
});
