import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Connection, FLUSH_SLICE } from './connection.js';
import { EdgeMetrics } from './metrics.js';
import { EncodedFrame } from './wire.js';

/** A WebSocket without extensions whose raw socket records every write (so frames go the pre-framed path). */
function recordingConnection(id: string, metrics: EdgeMetrics) {
  const writes: Buffer[] = [];
  const socket = {
    destroyed: false,
    writable: true,
    writableLength: 0,
    write: (data: Buffer) => {
      writes.push(Buffer.from(data));
      return true;
    },
  };
  const ws = { extensions: '', bufferedAmount: 0, readyState: 1, OPEN: 1, _socket: socket };
  const c = new Connection(id, ws as unknown as WebSocket, 'protobuf', pino({ level: 'silent' }), metrics, {
    maxQueuedBytes: 1 << 20,
    rateLimitPerSecond: 10,
    rateLimitBurst: 10,
  });
  c.state = 'connected';
  return { c, writes };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const frameOf = (n: number) =>
  new EncodedFrame({ publication: { channel: 'room', payload: Buffer.from([n]) } });

describe('flush sweep', () => {
  const metrics = new EdgeMetrics('sweep');
  const count = FLUSH_SLICE * 2 + 10;

  it('writes a slice per turn; a frame queued mid-sweep leaves with the connections not yet written', async () => {
    const all = Array.from({ length: count }, (_, i) => recordingConnection(`sweep.${i}`, metrics));
    const a = frameOf(1);
    const b = frameOf(2);
    for (const { c } of all) expect(c.write(a)).toBe('queued');

    await turn(); // the first slice goes out; the loop turns before the next one
    const written = all.filter((x) => x.writes.length > 0).length;
    expect(written).toBe(FLUSH_SLICE);

    for (const { c } of all) c.write(b); // a delivery that arrived between two slices
    for (let i = 0; i < 10; i++) await turn();

    const one = a.framed('protobuf');
    const two = b.framed('protobuf');
    expect(one.equals(two)).toBe(false);
    // Written already: `b` goes in the next sweep. Not yet written: `a` and `b` leave in one write.
    all.forEach(({ writes }, i) => {
      expect(writes).toEqual(i < FLUSH_SLICE ? [one, two] : [Buffer.concat([one, two])]);
    });
  });

  it('keeps the order of frames when a connection queues again after its write in the sweep', async () => {
    const all = Array.from({ length: count }, (_, i) => recordingConnection(`order.${i}`, metrics));
    const frames = [1, 2, 3, 4, 5].map(frameOf);
    for (const f of frames) {
      for (const { c } of all) c.write(f);
      await turn();
    }
    for (let i = 0; i < 20; i++) await turn();
    const expected = Buffer.concat(frames.map((f) => f.framed('protobuf')));
    for (const { writes } of all) expect(Buffer.concat(writes)).toEqual(expected);
  });
});
