/**
 * One client connection: identity, subscriptions, rate limit, malformed-frame count and an outgoing queue.
 * Writes queued in one tick are flushed together by one sweep over all connections (`flushSlice`). Without
 * extensions (see raw-frames.ts) the queue holds complete WebSocket frames shared by every connection of
 * the delivery and a flush is one socket write of their concatenation; with permessage-deflate it holds
 * payloads, sent one by one with `ws.send()` on a corked socket. The queue plus the socket's buffer is
 * bounded: past `maxQueuedBytes` the connection is a slow consumer — the frame is dropped and the client
 * told to reconnect and recover. ws's private socket is reached through raw-frames.ts only.
 */
import type { Socket } from 'node:net';
import type { IServerFrame } from '@switchboard/protocol';
import type { Bindings, Level, LogFn, Logger } from 'pino';
import type { WebSocket } from 'ws';
import { Disconnects, disconnect } from './disconnects.js';
import type { EdgeMetrics } from './metrics.js';
import { privateSocketOf, rawSocketOf, releaseShared, writeFrames } from './raw-frames.js';
import { TokenBucket } from './token-bucket.js';
import { EncodedFrame, type WireFormat } from './wire.js';

export type ConnectionState = 'connecting' | 'connected' | 'closing' | 'closed';

export interface ConnectionSettings {
  readonly maxQueuedBytes: number;
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
}

export type WriteResult = 'queued' | 'dropped' | 'closed';

/** What a connection logs through: pino's level methods, and `child` for more bindings. */
export interface ConnectionLogger {
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  child(bindings: Bindings): ConnectionLogger;
}

/**
 * `parent.child(bindings)` made on first use. A pino child is an object per call, and a child of a child
 * also gets hidden classes of its own: built eagerly for every connection, they cost hundreds of bytes of
 * every idle connection for loggers that mostly never log. Here a record is logged at a level the parent
 * has disabled without building anything; otherwise the output is the real child's (pino's `onChild` hook
 * runs when that child is built, not at `child()`).
 */
class LazyLogger implements ConnectionLogger {
  /** A pino logger, or a lazy one: a chain of `child()` calls. */
  readonly #parent: Logger | LazyLogger;
  readonly #bindings: Bindings;
  #logger: Logger | undefined;

  constructor(parent: Logger | LazyLogger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  /** The pino logger at the root of the chain: it decides the level (no child here changes it). */
  #root(): Logger {
    const parent = this.#parent;
    return parent instanceof LazyLogger ? parent.#root() : parent;
  }

  #real(): Logger {
    if (this.#logger) return this.#logger;
    const parent = this.#parent instanceof LazyLogger ? this.#parent.#real() : this.#parent;
    this.#logger = parent.child(this.#bindings);
    return this.#logger;
  }

  #log(level: Level, args: unknown[]): void {
    if (!(this.#logger ?? this.#root()).isLevelEnabled(level)) return;
    const logger = this.#real();
    (logger[level] as (...args: unknown[]) => void).apply(logger, args);
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }

  child(bindings: Bindings): ConnectionLogger {
    return new LazyLogger(this, bindings);
  }
}

/** `inbox` of a connection that has not sent a command yet. */
const SETTLED: Promise<void> = Promise.resolve();
/** `#queue` while nothing is queued (replaced, never pushed to). */
const EMPTY_QUEUE: Uint8Array[] = [];

export class Connection {
  readonly id: string;
  readonly format: WireFormat;
  readonly bucket: TokenBucket;
  log: ConnectionLogger;
  state: ConnectionState = 'connecting';
  userId = '';
  info: Uint8Array | undefined;
  expiresAtMs = 0;
  malformed = 0;
  rateLimited = 0;
  lastSeen = Date.now();
  /** This connection's commands run one after another, in arrival order (auth first). */
  inbox: Promise<void> = SETTLED;
  /** Bytes of the frames waiting in `inbox` for their turn (bounded by limits.maxInboxBytes). */
  inboxBytes = 0;
  closeCode = 0;
  closeReason = '';

  readonly #ws: WebSocket;
  /** The socket pre-framed bytes go to, or undefined: payloads go through `ws.send()` (deflate). */
  readonly #raw: Socket | undefined;
  readonly #metrics: EdgeMetrics;
  readonly #maxQueuedBytes: number;
  /** Subscribed channels: none, one (the usual case, no Set per connection) or a Set of two or more. */
  #channels: string | Set<string> | undefined;
  /** Complete frames (`#raw`) or payloads (`ws.send()`), in order; never mutated once flushed. */
  #queue: Uint8Array[] = EMPTY_QUEUE;
  #queuedBytes = 0;
  /** ws.bufferedAmount (socket buffer included) when this tick's first frame was queued. */
  #buffered = 0;
  #flushScheduled = false;

  constructor(
    id: string,
    ws: WebSocket,
    format: WireFormat,
    log: Logger,
    metrics: EdgeMetrics,
    settings: ConnectionSettings,
  ) {
    this.id = id;
    this.#ws = ws;
    this.#raw = rawSocketOf(ws);
    this.format = format;
    this.log = new LazyLogger(log, { conn: id });
    this.#metrics = metrics;
    // Only the number is kept: the settings object is the caller's (one per connection in EdgeNode).
    this.#maxQueuedBytes = settings.maxQueuedBytes;
    this.bucket = new TokenBucket(settings.rateLimitPerSecond, settings.rateLimitBurst);
  }

  get open(): boolean {
    return this.state === 'connecting' || this.state === 'connected';
  }

  /** The channels this connection is subscribed to (a snapshot: safe to iterate while unsubscribing). */
  get channels(): string[] {
    const channels = this.#channels;
    if (channels === undefined) return [];
    return typeof channels === 'string' ? [channels] : [...channels];
  }

  hasChannel(channel: string): boolean {
    const channels = this.#channels;
    return typeof channels === 'string' ? channels === channel : (channels?.has(channel) ?? false);
  }

  get channelCount(): number {
    const channels = this.#channels;
    return channels === undefined ? 0 : typeof channels === 'string' ? 1 : channels.size;
  }

  /** Records a subscription (LocalIndex keeps the other side); false when it was already there. */
  addChannel(channel: string): boolean {
    const channels = this.#channels;
    if (channels === undefined) this.#channels = channel;
    else if (typeof channels === 'string') {
      if (channels === channel) return false;
      this.#channels = new Set([channels, channel]);
    } else {
      if (channels.has(channel)) return false;
      channels.add(channel);
    }
    return true;
  }

  /** Forgets a subscription; false when there was none. */
  removeChannel(channel: string): boolean {
    const channels = this.#channels;
    if (channels === undefined) return false;
    if (typeof channels === 'string') {
      if (channels !== channel) return false;
      this.#channels = undefined;
      return true;
    }
    if (!channels.delete(channel)) return false;
    if (channels.size === 1) this.#channels = channels.values().next().value;
    return true;
  }

  /** Bytes waiting for this client: this tick's queue plus what ws and the socket still buffer. */
  get queuedBytes(): number {
    return this.#queuedBytes + this.#ws.bufferedAmount;
  }

  /** True when frames go to the socket pre-framed (no extension negotiated), false when through ws.send(). */
  get preFramed(): boolean {
    return this.#raw !== undefined;
  }

  /**
   * Queues an already encoded frame. Over the bound: dropped and the connection disconnected (SlowConsumer).
   * Does not count frames_out/bytes_out: the caller counts (fan-out once per delivery, not per connection).
   */
  write(frame: EncodedFrame, durable = false): WriteResult {
    if (!this.open) return 'closed';
    const data = this.#raw ? frame.framed(this.format) : frame.payload(this.format);
    const size = data.byteLength;
    const max = this.#maxQueuedBytes;
    // ws's buffer is read once per tick (with the first frame queued), not per frame: until the flush it can
    // only drain (or take a ping/pong of a few bytes), so the sum stays a bound; it is read again before the
    // connection is called a slow consumer.
    if (this.#queue.length === 0 || this.#queuedBytes + this.#buffered + size > max)
      this.#buffered = this.#ws.bufferedAmount;
    if (this.#queuedBytes + this.#buffered + size > max) {
      this.#metrics.drops.inc({ reason: durable ? 'slow_consumer_durable' : 'slow_consumer' });
      this.log.warn({ queuedBytes: this.queuedBytes }, 'slow consumer: dropping and disconnecting');
      disconnect(this, Disconnects.slowConsumer);
      return 'dropped';
    }
    this.#enqueue(data, size);
    return 'queued';
  }

  /** Encodes and queues a frame meant for this connection only (counted in frames_out/bytes_out). */
  send(frame: IServerFrame): WriteResult {
    const encoded = new EncodedFrame(frame);
    const result = this.write(encoded);
    if (result === 'queued') this.#count(encoded);
    return result;
  }

  /**
   * `send`, then everything queued for this connection written at once, in order: for the last answer of
   * the connect path (Subscribed), which with a pipelined Subscribe usually follows a Connected queued in
   * the same turn — one socket write for both. The sweep would batch nothing more for this connection and
   * only make the answer wait for later turns, behind the accepts and handshakes of a connect storm.
   */
  sendNow(frame: IServerFrame): WriteResult {
    const result = this.send(frame);
    if (result === 'queued') this.flush();
    return result;
  }

  #count(encoded: EncodedFrame): void {
    this.#metrics.framesOut.inc();
    this.#metrics.bytesOut.inc(encoded.payload(this.format).byteLength);
  }

  #enqueue(data: Uint8Array, size: number): void {
    if (this.#queue === EMPTY_QUEUE) this.#queue = [data];
    else this.#queue.push(data);
    this.#queuedBytes += size;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      scheduleFlush(this);
    }
  }

  /** Writes everything queued: one write of the concatenated frames, or ws.send() each on a corked socket. */
  flush(): void {
    if (this.#queue.length === 0) return;
    const queue = this.#queue;
    this.#queue = EMPTY_QUEUE;
    this.#queuedBytes = 0;
    if (this.#raw) {
      // Drops the frames when ws is closing or the socket is gone, as ws.send() would.
      writeFrames(this.#ws, this.#raw, queue as Buffer[]);
      return;
    }
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const raw = privateSocketOf(this.#ws);
    const cork = queue.length > 1 && raw !== undefined && typeof raw.cork === 'function';
    if (cork) raw.cork();
    const binary = this.format !== 'json';
    for (const data of queue) this.#ws.send(data, { binary });
    if (cork) process.nextTick(() => raw.uncork());
  }

  /**
   * Writes the next slice of the sweep (see `scheduleFlush`) and schedules the rest. A connection queued
   * again after its write in this sweep waits in `next` for the following one, keeping frames in order.
   */
  static flushSlice(): void {
    flushScheduled = false;
    if (sweepAt >= sweep.length) {
      sweep = next;
      next = [];
      sweepAt = 0;
    }
    const end = Math.min(sweep.length, sweepAt + FLUSH_SLICE);
    while (sweepAt < end) {
      const c = sweep[sweepAt++]!;
      c.#flushScheduled = false;
      try {
        c.flush();
      } catch (error) {
        c.log.warn({ err: error }, 'flush failed');
      }
    }
    if (sweepAt < sweep.length || next.length > 0) {
      flushScheduled = true;
      setImmediate(Connection.flushSlice);
    } else {
      sweep = [];
      sweepAt = 0;
      releaseShared();
    }
  }

  /**
   * Sends Disconnect, flushes, then closes with `code`. The Disconnect frame ignores the queue bound: it is
   * the last thing the client gets. It goes out for every code, the plain WebSocket ones (1007, 1009, 1002)
   * too: a client learns code, reason and whether to reconnect from one frame whatever ended the
   * connection, and the frame's reason is not cut to the close frame's 123 bytes.
   */
  disconnect(code: number, reason: string, reconnect: boolean, reconnectDelayMs = 0): void {
    if (!this.open) return;
    this.state = 'closing';
    this.closeCode = code;
    this.closeReason = reason;
    const encoded = new EncodedFrame({ disconnect: { code, reason, reconnect, reconnectDelayMs } });
    const data = this.#raw ? encoded.framed(this.format) : encoded.payload(this.format);
    this.#enqueue(data, data.byteLength);
    this.#count(encoded);
    this.flush();
    this.#ws.close(code, reason.slice(0, 120));
  }

  /** Closes without a handshake (dead peer, forced drain). Whatever is queued is dropped. */
  terminate(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.closeCode ||= code;
    this.closeReason ||= reason;
    this.#ws.terminate();
  }

  ping(): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
  }
}

/**
 * The flush sweep, shared by all connections (of every node in the process): connections are written in the
 * order they queued something, at most FLUSH_SLICE per turn of the event loop. Between slices the loop reads
 * its sockets, so a delivery that arrives mid-sweep is queued on the connections not yet written and leaves
 * with them, instead of waiting for the whole sweep to end: a frame waits at most about one sweep (for
 * 1,000 subscribers, one loopback write each, ~5 ms here) before its socket write, not two.
 */
export const FLUSH_SLICE = 64;
let sweep: Connection[] = [];
let sweepAt = 0;
/** Connections that queued something while the sweep was already under way (or after their write in it). */
let next: Connection[] = [];
let flushScheduled = false;

function scheduleFlush(c: Connection): void {
  next.push(c);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(Connection.flushSlice);
  }
}
