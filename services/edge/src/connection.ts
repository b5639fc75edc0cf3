/**
 * One client connection: identity, subscriptions, rate limit, malformed-frame count and an outgoing queue.
 * Writes queued in one tick are flushed together in `setImmediate` with the TCP socket corked, so a burst
 * of deliveries becomes one syscall. The queue plus the socket's buffer is bounded: past `maxQueuedBytes`
 * the connection is a slow consumer — the frame is dropped and the client told to reconnect and recover.
 */
import type { Socket } from 'node:net';
import { CloseCode, type IServerFrame } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { EdgeMetrics } from './metrics.js';
import { TokenBucket } from './token-bucket.js';
import { byteLength, EncodedFrame, type WireFormat } from './wire.js';

export type ConnectionState = 'connecting' | 'connected' | 'closing' | 'closed';

export interface ConnectionSettings {
  readonly maxQueuedBytes: number;
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
}

export type WriteResult = 'queued' | 'dropped' | 'closed';

export class Connection {
  readonly id: string;
  readonly format: WireFormat;
  readonly channels = new Set<string>();
  readonly bucket: TokenBucket;
  log: Logger;
  state: ConnectionState = 'connecting';
  userId = '';
  info: Uint8Array | undefined;
  expiresAtMs = 0;
  malformed = 0;
  rateLimited = 0;
  lastSeen = Date.now();
  /** This connection's commands run one after another, in arrival order (auth first). */
  inbox: Promise<void> = Promise.resolve();
  closeCode = 0;
  closeReason = '';

  readonly #ws: WebSocket;
  readonly #metrics: EdgeMetrics;
  readonly #settings: ConnectionSettings;
  #queue: (Uint8Array | string)[] = [];
  #queuedBytes = 0;
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
    this.format = format;
    this.log = log;
    this.#metrics = metrics;
    this.#settings = settings;
    this.bucket = new TokenBucket(settings.rateLimitPerSecond, settings.rateLimitBurst);
  }

  get open(): boolean {
    return this.state === 'connecting' || this.state === 'connected';
  }

  get queuedBytes(): number {
    return this.#queuedBytes + this.#ws.bufferedAmount;
  }

  /** Queues an already encoded frame. Over the bound: dropped and the connection disconnected (SlowConsumer). */
  write(frame: EncodedFrame, durable = false): WriteResult {
    if (!this.open) return 'closed';
    const data = frame.for(this.format);
    const size = byteLength(data);
    if (this.queuedBytes + size > this.#settings.maxQueuedBytes) {
      this.#metrics.drops.inc({ reason: durable ? 'slow_consumer_durable' : 'slow_consumer' });
      this.log.warn({ queuedBytes: this.queuedBytes }, 'slow consumer: dropping and disconnecting');
      this.disconnect(CloseCode.SlowConsumer, 'slow consumer', true, 0);
      return 'dropped';
    }
    this.#enqueue(data, size);
    return 'queued';
  }

  /** Encodes and queues a frame meant for this connection only. */
  send(frame: IServerFrame): WriteResult {
    return this.write(new EncodedFrame(frame));
  }

  #enqueue(data: Uint8Array | string, size: number): void {
    this.#queue.push(data);
    this.#queuedBytes += size;
    this.#metrics.framesOut.inc();
    this.#metrics.bytesOut.inc(size);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes everything queued, corking the TCP socket so the frames leave together. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#queue.length === 0) return;
    const queue = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const raw = (this.#ws as unknown as { _socket?: Socket })._socket;
    const cork = queue.length > 1 && raw !== undefined && typeof raw.cork === 'function';
    if (cork) raw.cork();
    for (const data of queue) this.#ws.send(data, { binary: typeof data !== 'string' });
    if (cork) process.nextTick(() => raw.uncork());
  }

  /**
   * Sends Disconnect (unless the code is a plain WebSocket one), flushes, then closes with `code`.
   * The Disconnect frame ignores the queue bound: it is the last thing the client gets.
   */
  disconnect(code: number, reason: string, reconnect: boolean, reconnectDelayMs = 0): void {
    if (!this.open) return;
    this.state = 'closing';
    this.closeCode = code;
    this.closeReason = reason;
    if (code >= 3000) {
      const data = new EncodedFrame({
        disconnect: { code, reason, reconnect, reconnectDelayMs },
      }).for(this.format);
      this.#enqueue(data, byteLength(data));
    }
    this.flush();
    this.#ws.close(code, reason.slice(0, 120));
  }

  /** Closes without a handshake (dead peer, forced drain). */
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
