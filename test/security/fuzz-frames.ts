/**
 * Seeded generators of hostile client frames for the protocol fuzzer: plausible commands with hostile
 * values, mutations of valid encodings (bit flips, truncation, inflated length prefixes), random bytes, and
 * JSON documents with the right keys and the wrong shapes (objects where bytes belong, huge numbers, deep
 * nesting). Deterministic for a seed, so a failure is replayed with SWITCHBOARD_FUZZ_SEED.
 */
import {
  clientFrameToJson,
  encodeClientFrame,
  type IClientFrame,
} from '../../packages/protocol/src/index.js';

/** mulberry32: small, fast, good enough to drive a fuzzer, and reproducible from one 32-bit seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FrameFuzzer {
  readonly #random: () => number;

  constructor(seed: number) {
    this.#random = prng(seed);
  }

  int(max: number): number {
    return Math.floor(this.#random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** One hostile frame, binary or JSON text depending on the connection's subprotocol. */
  next(json: boolean): Uint8Array | string {
    const roll = this.int(100);
    if (json) {
      if (roll < 45) return clientFrameToJson(this.#command());
      if (roll < 90) return JSON.stringify(this.#jsonShape());
      return this.#jsonText();
    }
    if (roll < 45) return encodeClientFrame(this.#command());
    if (roll < 85) return this.#mutate(encodeClientFrame(this.#command()));
    return this.bytes(this.int(200));
  }

  #string(): string {
    return this.pick([
      '',
      'chat:lobby',
      'chat:private-x',
      'a:b:private-c',
      'user:someone',
      'presence-room',
      `news-${this.int(50)}`,
      'x'.repeat(this.int(300)),
      '\u0000\u0007\u202e',
      '../../etc/passwd',
      'chat:'.repeat(60),
      String(this.int(1e9)),
    ]);
  }

  #number(): number {
    return this.pick([0, 1, -1, 2 ** 31, 2 ** 32 - 1, 2 ** 53, this.int(1e6), Number.MAX_SAFE_INTEGER]);
  }

  #command(): IClientFrame {
    const id = this.int(1000) + 1;
    switch (this.int(10)) {
      case 0:
        return { id, connect: { token: this.pick(['', 'a.b.c', 'x'.repeat(this.int(5000))]) } };
      case 1:
        return {
          id,
          subscribe: {
            channel: this.#string(),
            ...(this.int(2) ? { since: { offset: Math.abs(this.#number()), epoch: this.#string() } } : {}),
            ...(this.int(3) === 0 ? { token: 'not.a.jwt' } : {}),
          },
        };
      case 2:
        return { id, unsubscribe: { channel: this.#string() } };
      case 3:
      case 4:
        return {
          id,
          send: {
            service: this.pick([
              'chat',
              'history',
              'orders',
              'lifecycle',
              'presence',
              'notifications',
              'nope',
              '',
            ]),
            type: this.pick([
              'chat.send',
              'chat.join',
              'chat.rooms',
              'history.publish',
              'history.query',
              'x',
            ]),
            payload: this.int(2)
              ? new TextEncoder().encode(
                  JSON.stringify({ room: this.pick(['lobby', 'r1', 'private-x']), text: 'hi' }),
                )
              : this.bytes(this.int(2000)),
            requestId: this.pick(['', '1', '7', String(this.int(1e6)), 'r'.repeat(this.int(200))]),
            key: this.#string(),
          },
        };
      case 5:
        return { id, ack: { ids: Array.from({ length: this.int(50) }, () => this.#string()) } };
      case 6:
        return { id, ping: { timeMs: this.#number() } };
      case 7:
        return {
          id,
          history: {
            channel: this.#string(),
            limit: this.int(2 ** 31),
            beforeOffset: Math.abs(this.#number()),
          },
        };
      case 8:
        return { id, presence: { channel: this.#string() } };
      default:
        return { id, refresh: { token: this.pick(['', 'junk']) } };
    }
  }

  /** A valid encoding with hostile damage: flipped bits, cut short, or a length prefix claiming gigabytes. */
  #mutate(frame: Uint8Array): Uint8Array {
    const out = new Uint8Array(frame);
    switch (this.int(4)) {
      case 0:
        for (let i = 0; i < 1 + this.int(4) && out.length > 0; i++)
          out[this.int(out.length)]! ^= 1 << this.int(8);
        return out;
      case 1:
        return out.subarray(0, this.int(out.length + 1));
      case 2: {
        // A length-delimited field (wire type 2) whose length varint says ~256 MB.
        const at = this.int(out.length + 1);
        const huge = new Uint8Array([0x2a, 0xff, 0xff, 0xff, 0x7f]);
        const joined = new Uint8Array(out.length + huge.length);
        joined.set(out.subarray(0, at));
        joined.set(huge, at);
        joined.set(out.subarray(at), at + huge.length);
        return joined;
      }
      default:
        return new Uint8Array([...out, ...this.bytes(this.int(20))]);
    }
  }

  /** JSON with the frame's keys and the wrong shapes. */
  #jsonShape(): unknown {
    const hostile = () =>
      this.pick<unknown>([
        { length: 100_000_000 },
        { length: -1 },
        [1, 2, 3],
        '1e400',
        '9'.repeat(400),
        -0.5,
        2 ** 70,
        null,
        true,
        'AAAA',
        '!!not base64!!',
        { '0': 255, length: 1 },
        'x'.repeat(this.int(3000)),
      ]);
    const kind = this.pick([
      'connect',
      'subscribe',
      'send',
      'ack',
      'ping',
      'history',
      'presence',
      'refresh',
      'nope',
    ]);
    const fields: Record<string, unknown> = {};
    for (const key of [
      'channel',
      'payload',
      'since',
      'offset',
      'timeMs',
      'limit',
      'ids',
      'token',
      'service',
      'type',
      'requestId',
    ])
      if (this.int(3) === 0) fields[key] = hostile();
    return {
      id: this.pick<unknown>([1, -1, '5', 2 ** 40, 1.5, null]),
      [kind]: this.int(8) ? fields : hostile(),
    };
  }

  /** Text that is not even a JSON object: deep nesting, truncation, garbage. */
  #jsonText(): string {
    switch (this.int(4)) {
      case 0: {
        const depth = 1 + this.int(5000);
        return `${'['.repeat(depth)}${']'.repeat(depth)}`;
      }
      case 1:
        return '{"id":1,"send":{"payload":'.slice(0, this.int(28));
      case 2:
        // Number literals JSON.stringify cannot write: out of double range, or 64-bit and beyond.
        return this.pick([
          '{"id":1,"ping":{"timeMs":1e400}}',
          '{"id":2,"history":{"channel":"news-1","limit":99999999999999999999999}}',
          '{"id":3,"subscribe":{"channel":"chat:x","since":{"offset":"18446744073709551616","epoch":"e"}}}',
          '{"id":-0,"ping":{"timeMs":"-9223372036854775809"}}',
        ]);
      default:
        return new TextDecoder().decode(this.bytes(this.int(100)));
    }
  }
}
