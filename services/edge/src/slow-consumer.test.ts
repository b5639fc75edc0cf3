import type { Socket } from 'node:net';
import type { ServerFrame } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Bus, connect, startBus, subscribe, type TestClient } from './testing/harness.js';

const MAX_QUEUED_BYTES = 128 * 1024;
const PAYLOAD_BYTES = 32 * 1024;
/** 64 MB in total: far more than loopback socket buffers hold, so a paused reader must hit the bound. */
const MAX_MESSAGES = 2_000;
const AFTER_DISCONNECT = 50;

const rawSocket = (client: TestClient) => (client.ws as unknown as { _socket: Socket })._socket;

/** The sequence number written into the first 4 bytes of each payload, or -1 for other frames. */
const seq = (frame: ServerFrame) => {
  const payload = frame.publication?.type === 'tick' ? frame.publication.payload : undefined;
  return payload && payload.byteLength >= 4
    ? new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0)
    : -1;
};

describe('slow consumer', () => {
  let bus: Bus;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    bus = await startBus(1, { limits: { maxQueuedBytes: MAX_QUEUED_BYTES } });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await bus.close();
  });

  async function drops(reason: string): Promise<number> {
    const metric = await bus.nodes[0]!.metrics.drops.get();
    return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  }

  it('disconnects a reader that stopped reading (3001, counted) while a good reader on the node gets every message', async () => {
    const node = bus.nodes[0]!;
    const good = await connect(node.url, 'good');
    const slow = await connect(node.url, 'slow');
    clients.push(good.client, slow.client);
    await subscribe(good.client, 1, 'firehose');
    await subscribe(slow.client, 1, 'firehose');
    rawSocket(slow.client).pause();

    const publish = async (i: number) => {
      const payload = new Uint8Array(PAYLOAD_BYTES);
      new DataView(payload.buffer).setUint32(0, i);
      await bus.deliver({ channel: 'firehose', publication: { channel: 'firehose', type: 'tick', payload } });
      // Pace on the good reader, so only a reader that does not read can fall behind.
      await good.client.next((f) => seq(f) === i, 10_000);
    };

    let sent = 0;
    let droppedAt = -1;
    while (sent < MAX_MESSAGES && droppedAt < 0) {
      await publish(sent++);
      if ((await drops('slow_consumer')) > 0) droppedAt = sent;
    }
    expect(droppedAt, `no slow-consumer drop after ${MAX_MESSAGES} messages`).toBeGreaterThan(0);
    for (let i = 0; i < AFTER_DISCONNECT; i++) await publish(sent++);

    // The good reader got every message, in order.
    expect(good.client.frames.map(seq).filter((n) => n >= 0)).toEqual(
      Array.from({ length: sent }, (_, i) => i),
    );
    expect(await drops('slow_consumer')).toBe(1);
    expect(await drops('slow_consumer_durable')).toBe(0);

    // The slow reader, once it reads again, finds what fitted before the bound, a reconnect hint and 3001.
    rawSocket(slow.client).resume();
    const closed = await slow.client.closed;
    expect(closed.code).toBe(3001);
    const hint = slow.client.frames.find((f) => f.kind === 'disconnect')?.disconnect;
    expect(hint).toMatchObject({ code: 3001, reconnect: true });
    const received = slow.client.frames.map(seq).filter((n) => n >= 0);
    expect(received.length).toBeLessThan(droppedAt);
    expect(received).toEqual(Array.from({ length: received.length }, (_, i) => i));
    expect(slow.client.frames.at(-1)?.kind).toBe('disconnect');
    await expect
      .poll(async () => (await node.metrics.closes.get()).values.find((v) => v.labels.code === '3001')?.value)
      .toBe(1);
    expect(good.client.ws.readyState).toBe(good.client.ws.OPEN);
  });
});
