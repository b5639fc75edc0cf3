/**
 * Memory bounds of decoding (issue 13, defect 3): a frame can never make the decoder allocate much more
 * than the frame's own size. Measured with process.memoryUsage() deltas, never with time.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  clientFrameFromJson,
  decodeClientFrame,
  decodeServerFrame,
  encodeInbound,
  encodeServerFrame,
  serverFrameFromJson,
} from './codec.js';
import { DecodeError } from './errors.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 2 ** 20;

/** Memory growth while `run` executes, after a full GC on both sides; `keep` holds what run returns. */
function growth(run: () => unknown): { rss: number; arrayBuffers: number; heapUsed: number; kept: unknown } {
  gc();
  const before = process.memoryUsage();
  const kept = run();
  gc();
  const after = process.memoryUsage();
  return {
    rss: after.rss - before.rss,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    heapUsed: after.heapUsed - before.heapUsed,
    kept,
  };
}

function report(name: string, delta: { rss: number; arrayBuffers: number; heapUsed: number }): void {
  const mb = (n: number) => `${(n / MiB).toFixed(2)} MB`;
  console.info(
    `${name}: rss ${mb(delta.rss)}, arrayBuffers ${mb(delta.arrayBuffers)}, heapUsed ${mb(delta.heapUsed)}`,
  );
}

const ATTACK =
  '{"id":5,"send":{"service":"chat","type":"chat.rooms","requestId":"r5","payload":{"length":100000000}}}';

/** What an edge does with a client's JSON frame: decode it, then wrap the Send into an Inbound. */
function edgeHandles(text: string): unknown {
  try {
    const frame = clientFrameFromJson(text);
    return encodeInbound({
      connectionId: 'c1',
      service: 'chat',
      type: 'chat.rooms',
      payload: frame.send?.payload,
    });
  } catch (error) {
    return error;
  }
}

describe('decoding allocates no more than the frame spells out', () => {
  it('refuses the {"length":100000000} bytes attack with DecodeError (wire 100) before allocating', () => {
    // Before the fix this frame passed verify() and fromObject(), and the Inbound encode allocated 100 MB.
    const delta = growth(() => edgeHandles(ATTACK));
    report('attack frame, once', delta);
    expect(delta.kept).toBeInstanceOf(DecodeError);
    expect((delta.kept as DecodeError).wire).toBe(100);
    expect((delta.kept as DecodeError).message).toMatch(/send\.payload: bytes must be a base64 string/);
    expect(delta.arrayBuffers).toBeLessThan(1 * MiB);
    expect(delta.rss).toBeLessThan(8 * MiB);
  });

  it('1,000 attack frames in a row leave memory where it was', () => {
    const delta = growth(() => {
      for (let i = 0; i < 1_000; i++) if (!(edgeHandles(ATTACK) instanceof DecodeError)) return 'decoded';
      return 'refused';
    });
    report('attack frame, 1,000 times', delta);
    expect(delta.kept).toBe('refused');
    expect(delta.arrayBuffers).toBeLessThan(1 * MiB);
    expect(delta.rss).toBeLessThan(8 * MiB);
  });

  it('refuses a binary frame whose bytes field claims 100 MB it does not carry', () => {
    // ClientFrame{id:5, send:{payload: <length 100,000,000>}} with 3 bytes of payload actually present.
    const frame = Uint8Array.from([0x08, 0x05, 0x2a, 0x08, 0x1a, 0x80, 0xc2, 0xd7, 0x2f, 0x01, 0x02, 0x03]);
    const delta = growth(() => {
      try {
        return decodeClientFrame(frame);
      } catch (error) {
        return error;
      }
    });
    report('binary frame claiming 100 MB', delta);
    expect(delta.kept).toBeInstanceOf(DecodeError);
    expect(delta.arrayBuffers).toBeLessThan(1 * MiB);
    expect(delta.rss).toBeLessThan(8 * MiB);
  });

  it('a 64 KiB JSON frame of the most allocation-heavy legal shape keeps under 32x its size', () => {
    // Empty repeated messages cost 3 characters each and are the most objects per character.
    const count = Math.floor((64 * 1024 - 64) / 3);
    const text = `{"id":1,"history":{"channel":"c","publications":[${Array(count).fill('{}').join(',')}]}}`;
    const delta = growth(() => serverFrameFromJson(text));
    report(`64 KiB JSON of ${count} empty publications`, delta);
    expect((delta.kept as { history: { publications: unknown[] } }).history.publications).toHaveLength(count);
    expect(delta.heapUsed).toBeLessThan(32 * text.length);
  });

  it('a 64 KiB binary frame of the most allocation-heavy legal shape keeps under 32x its size', () => {
    // Two bytes (tag, zero length) per empty Publication.
    const count = Math.floor((64 * 1024 - 64) / 2);
    const bytes = encodeServerFrame({
      id: 1,
      history: { channel: 'c', publications: Array(count).fill({}) },
    });
    expect(bytes.length).toBeLessThanOrEqual(64 * 1024);
    const delta = growth(() => decodeServerFrame(bytes));
    report(`64 KiB binary of ${count} empty publications`, delta);
    expect((delta.kept as { history: { publications: unknown[] } }).history.publications).toHaveLength(count);
    expect(delta.heapUsed).toBeLessThan(32 * bytes.length);
  });
});
