/**
 * The protocol fuzzer (issue 13): ≥ 100,000 seeded hostile frames, binary and JSON, from signed-in clients
 * into a whole stack on the in-process bus (two edges, history, chat, presence, notifications), while a
 * neighbour on a durable channel must receive exactly what a backend published — every offset once, in
 * order — and the process's memory must stay bounded. Every refusal must carry a documented error or close
 * code. Replay a failure with SWITCHBOARD_FUZZ_SEED=<the printed seed>; SWITCHBOARD_FUZZ_FRAMES changes the
 * count (CI runs the default).
 */
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryTransport } from '../../packages/bus/src/memory/index.js';
import {
  CloseCode,
  decodeServerFrame,
  ErrorCodes,
  encodeClientFrame,
  type ServerFrame,
  Subprotocol,
  serverFrameFromJson,
} from '../../packages/protocol/src/index.js';
import { Publisher } from '../../packages/publisher/src/index.js';
import { connect, sign, subscribe, type TestClient } from '../../services/edge/src/testing/harness.js';
import { runId } from '../edge/edge-fixtures.js';
import { type Stack, startStack } from '../services/stack.js';
import { FrameFuzzer } from './fuzz-frames.js';

// ws is a dependency of the edge only, so it is loaded from there (as the services' stack loads ioredis).
type Ws = typeof import('../../services/edge/node_modules/@types/ws/index.js');
const { WebSocket } = createRequire(new URL('../../services/edge/package.json', import.meta.url))('ws') as Ws;
type WebSocket = InstanceType<typeof WebSocket>;

const SEED = Number(process.env.SWITCHBOARD_FUZZ_SEED ?? randomInt(2 ** 31));
const FRAMES = Number(process.env.SWITCHBOARD_FUZZ_FRAMES ?? 100_000);
const FUZZ_CLIENTS = 8;
const BATCH = 500;
/** Growth of the whole test process's RSS (edges, services, fuzzer) allowed over the run. */
const RSS_BOUND_BYTES = 384 * 1024 * 1024;
/** Ids of the fuzzer's own barrier pings: above every id the generator uses. */
const BARRIER_ID = 10_000_000;

const KNOWN_ERRORS = new Set<number>(Object.values(ErrorCodes).map((spec) => spec.wire));
/** Close codes a refusal may end with: the edge's catalogue, plus ws's own for protocol violations. */
const KNOWN_CLOSES = new Set<number>([...Object.values(CloseCode), 1002, 1005, 1006]);

/** A fuzzing connection: counts what comes back instead of keeping it (100k answers would be the leak). */
class FuzzClient {
  readonly errors = new Map<number, number>();
  readonly closes = new Map<number, number>();
  #ws: WebSocket | undefined;
  #waiting: { id: number; resolve: () => void } | undefined;

  constructor(
    readonly url: string,
    readonly user: string,
    readonly json: boolean,
  ) {}

  get open(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  async reopen(): Promise<void> {
    this.#ws?.terminate();
    const token = await sign({ sub: this.user }, { expiresIn: '1h' });
    const ws = new WebSocket(`${this.url}?token=${token}`, [
      this.json ? Subprotocol.Json : Subprotocol.Protobuf,
    ]);
    this.#ws = ws;
    ws.on('error', () => undefined);
    ws.on('close', (code: number) => {
      this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
      this.#waiting?.resolve();
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onFrame(data, isBinary));
    await new Promise<void>((resolve) => {
      ws.once('open', () => resolve());
      ws.once('close', () => resolve());
    });
  }

  send(frame: Uint8Array | string): void {
    if (this.open) this.#ws!.send(frame);
  }

  /** Resolves when the edge answered a ping sent after everything before it (or the socket closed). */
  barrier(id: number): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiting = { id, resolve };
      const ping = { id, ping: {} };
      this.#ws!.send(this.json ? JSON.stringify(ping) : encodeClientFrame(ping));
    });
  }

  close(): void {
    this.#ws?.terminate();
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    let frame: ServerFrame;
    try {
      frame = isBinary ? decodeServerFrame(new Uint8Array(data)) : serverFrameFromJson(data.toString());
    } catch (error) {
      throw new Error(`the edge sent a frame its own codec cannot decode: ${String(error)}`);
    }
    const code = frame.error?.code ?? frame.reply?.error?.code;
    if (code !== undefined && code !== null) this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (frame.pong && this.#waiting && frame.id === this.#waiting.id) {
      const { resolve } = this.#waiting;
      this.#waiting = undefined;
      resolve();
    }
  }
}

describe(`protocol fuzzer: ${FRAMES} hostile frames (seed ${SEED})`, () => {
  const run = runId();
  let stack: Stack;
  let neighbour: TestClient;

  beforeAll(async () => {
    console.log(`[fuzz] seed ${SEED}, ${FRAMES} frames (replay: SWITCHBOARD_FUZZ_SEED=${SEED})`);
    const broker = new MemoryBroker();
    stack = await startStack('fuzz', async () => new MemoryTransport({ broker }), run, undefined, {
      // The fuzzer wants its frames decoded and handled, not its connections closed after three bad ones or
      // throttled: those limits have tests of their own (services/edge). Everything else stays default.
      limits: { rateLimitPerSecond: 1e6, rateLimitBurst: 1e6, maxMalformedFrames: 1e9 },
      requestTimeoutMs: 2_000,
    });
  });
  afterAll(async () => {
    await neighbour?.close();
    await stack?.close();
  });

  it('refuses each with a documented code; the neighbour’s stream stays exact; memory stays bounded', async () => {
    const channel = `chat:neighbour-${run}`;
    ({ client: neighbour } = await connect(stack.nodes[1].url, `neighbour-${run}`));
    const top = Number((await subscribe(neighbour, 1, channel)).subscribed?.position?.offset ?? 0);
    const publisher = new Publisher(await stack.transport('backend'));
    const fuzzer = new FrameFuzzer(SEED);
    const clients = Array.from(
      { length: FUZZ_CLIENTS },
      (_, i) => new FuzzClient(stack.nodes[i % 2 === 0 ? 0 : 1].url, `fuzz-${i}-${run}`, i % 2 === 1),
    );
    for (const client of clients) await client.reopen();

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let sent = 0;
    let published = 0;
    let batch = 0;
    while (sent < FRAMES) {
      for (const client of clients) {
        if (!client.open) await client.reopen();
        for (let i = 0; i < BATCH / FUZZ_CLIENTS && sent < FRAMES; i++, sent++)
          client.send(fuzzer.next(client.json));
      }
      await publisher.toChannel(channel, 'chat.message', { n: ++published }, { durable: true });
      batch++;
      await Promise.all(clients.map((client) => client.barrier(BARRIER_ID + batch)));
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    for (const client of clients) client.close();

    // The neighbour got every publication exactly once, in order, with consecutive offsets.
    await expect
      .poll(() => neighbour.count((f) => f.publication?.channel === channel), { timeout: 30_000 })
      .toBe(published);
    const offsets = neighbour.frames
      .filter((f) => f.publication?.channel === channel)
      .map((f) => Number(f.publication!.offset));
    expect(offsets).toEqual(Array.from({ length: published }, (_, i) => top + 1 + i));

    const errors = new Map<number, number>();
    const closes = new Map<number, number>();
    for (const client of clients) {
      for (const [code, n] of client.errors) errors.set(code, (errors.get(code) ?? 0) + n);
      for (const [code, n] of client.closes) closes.set(code, (closes.get(code) ?? 0) + n);
    }
    console.log(
      `[fuzz] ${sent} frames in ${batch} batches; errors ${JSON.stringify(Object.fromEntries(errors))}; ` +
        `closes ${JSON.stringify(Object.fromEntries(closes))}; RSS ${mb(rssBefore)} → peak ${mb(rssPeak)} MB`,
    );
    expect(sent).toBeGreaterThanOrEqual(FRAMES);
    expect([...errors.keys()].filter((code) => !KNOWN_ERRORS.has(code))).toEqual([]);
    expect([...closes.keys()].filter((code) => !KNOWN_CLOSES.has(code))).toEqual([]);
    // The fuzzer must actually reach the refusal paths, not only the happy ones.
    expect(errors.get(ErrorCodes.BadFrame.wire) ?? 0).toBeGreaterThan(100);
    expect(errors.get(ErrorCodes.NotCallable.wire) ?? 0).toBeGreaterThan(100);
    expect(rssPeak - rssBefore).toBeLessThan(RSS_BOUND_BYTES);
  });
});

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
