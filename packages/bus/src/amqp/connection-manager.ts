/**
 * Owns the broker connection: connects, notices loss, reconnects with full-jitter backoff, re-declares the
 * topology and re-attaches every registered resource (consumers, node inboxes) before anyone may use the
 * new connection. Callers get the live Session through `run`, which waits for a reconnect up to the
 * publish timeout and then fails loudly with BusUnavailableError.
 */
import { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import { BusClosedError, BusError, BusRejectedError, BusUnavailableError } from '../errors.js';
import type { TransportEvent } from '../transport.js';
import { fullJitter } from './backoff.js';
import { redact } from './broker-urls.js';
import { corkFrameWrites } from './corked-writes.js';
import type { ResolvedOptions } from './options.js';
import { Session } from './session.js';
import { TimerSet } from './timers.js';
import { declareExchanges } from './topology.js';

/** Something that lives on a connection and must be re-created on every new one. */
export interface SessionResource {
  attach(session: Session): Promise<void>;
  /** Stops the resource; calls unregister(). Idempotent. */
  close(): Promise<void>;
}

interface Waiter {
  resolve(session: Session): void;
  reject(error: Error): void;
}

/** Pause between retries on one session whose channel broke while the connection looked alive. */
const SAME_SESSION_RETRY_MS = 50;

export class ConnectionManager {
  readonly events = new EventEmitter();
  readonly timers = new TimerSet();
  readonly #options: ResolvedOptions;
  readonly #resources = new Set<SessionResource>();
  readonly #waiters = new Set<Waiter>();
  #session: Session | undefined;
  #closed = false;
  #connecting = false;
  #everConnected = false;
  #nextSessionId = 1;
  #lastError: Error | undefined;
  /** Index in options.urls of the node to try first on the next connect round. */
  #nextUrl = 0;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get publishTimeoutMs(): number {
    return this.#options.publishTimeoutMs;
  }

  start(): void {
    void this.#connectLoop();
  }

  /** Runs `operation` on a live session, waiting (bounded) for a reconnect and retrying when the connection drops under it. */
  async run<T>(what: string, operation: (session: Session) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#options.publishTimeoutMs;
    for (;;) {
      const session = await this.waitForSession(what, deadline);
      try {
        return await operation(session);
      } catch (error) {
        if (error instanceof BusError) throw error;
        if (this.#closed) throw new BusClosedError();
        if (session.alive && isChannelLevelRefusal(error)) {
          throw new BusRejectedError(`${what}: ${errorMessage(error)}`, { cause: error });
        }
        if (Date.now() >= deadline)
          throw new BusUnavailableError(`${what}: ${errorMessage(error)}`, { cause: error });
        this.#options.logger.debug({ err: error, what }, 'amqp operation interrupted; retrying');
        // The connection (or just a channel) broke under the operation; wait for the next session.
        if (session.alive) await this.timers.sleep(SAME_SESSION_RETRY_MS);
      }
    }
  }

  waitForSession(what: string, deadline: number): Promise<Session> {
    if (this.#closed) return Promise.reject(new BusClosedError());
    if (this.#session?.alive) return Promise.resolve(this.#session);
    return new Promise<Session>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        resolve: (session) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(session);
        },
        reject: (error) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          reject(error);
        },
      };
      const remaining = deadline - Date.now();
      const detail = `${what}: no broker connection for ${this.#options.publishTimeoutMs} ms`;
      const unavailable = () => new BusUnavailableError(detail, { cause: this.#lastError });
      if (remaining <= 0) {
        reject(unavailable());
        return;
      }
      timer = setTimeout(() => waiter.reject(unavailable()), remaining);
      this.#waiters.add(waiter);
    });
  }

  /** Registers a resource and attaches it to the live session (re-attached on every reconnect). */
  async register(resource: SessionResource, what: string): Promise<void> {
    this.#resources.add(resource);
    try {
      await this.run(what, (session) => resource.attach(session));
    } catch (error) {
      this.#resources.delete(resource);
      throw error;
    }
  }

  resources(): SessionResource[] {
    return [...this.#resources];
  }

  unregister(resource: SessionResource): void {
    this.#resources.delete(resource);
  }

  on(listener: (event: TransportEvent) => void): void {
    this.events.on('event', listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.timers.clear();
    for (const waiter of [...this.#waiters]) waiter.reject(new BusClosedError());
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
    this.events.removeAllListeners();
  }

  /**
   * Each round tries every node once, in order, starting after the node whose connection was lost (so a
   * dead node is not dialled first); only a round in which no node answered waits out the backoff.
   */
  async #connectLoop(): Promise<void> {
    if (this.#connecting) return;
    this.#connecting = true;
    try {
      for (let attempt = 0; !this.#closed; attempt++) {
        const session = await this.#openAny();
        if (session) {
          if (this.#closed) {
            await session.close();
            return;
          }
          this.#publish(session);
          return;
        }
        if (this.#closed) return;
        const delay = fullJitter(attempt, this.#options.reconnectBaseMs, this.#options.reconnectMaxMs);
        this.#options.logger.warn(
          { err: this.#lastError, attempt, delayMs: delay, nodes: this.#options.urls.length },
          'amqp connect failed on every node; retrying',
        );
        if (!(await this.timers.sleep(delay))) return;
      }
    } finally {
      this.#connecting = false;
    }
  }

  /** One round over the nodes; undefined when none gave a usable session. */
  async #openAny(): Promise<Session | undefined> {
    const { urls, logger } = this.#options;
    for (let tried = 0; tried < urls.length && !this.#closed; tried++) {
      const index = (this.#nextUrl + tried) % urls.length;
      const url = urls[index] as string;
      try {
        const session = await this.#open(url);
        // Next time (after this connection is lost) start with the node after this one.
        this.#nextUrl = (index + 1) % urls.length;
        return session;
      } catch (error) {
        this.#lastError = error instanceof Error ? error : new Error(String(error));
        if (urls.length > 1) logger.warn({ err: error, node: redact(url) }, 'amqp node did not answer');
      }
    }
    return undefined;
  }

  async #open(url: string): Promise<Session> {
    const { heartbeatSeconds, connectionName, logger } = this.#options;
    const connection = await amqp.connect(withHeartbeat(url, heartbeatSeconds), {
      clientProperties: { connection_name: connectionName },
      timeout: 10_000,
      // amqplib leaves Nagle's algorithm on: with delayed ACKs that holds small publishes and deliveries
      // back by up to ~40 ms each way, which is most of the publish -> deliver latency of a quiet system.
      noDelay: true,
    });
    corkFrameWrites(connection);
    const session = new Session(this.#nextSessionId++, connection, logger);
    connection.on('error', (error: Error) => {
      this.#lastError = error;
      logger.warn({ err: error, session: session.id }, 'amqp connection error');
    });
    connection.on('blocked', (reason: string) =>
      logger.warn({ reason }, 'amqp connection blocked by the broker'),
    );
    connection.once('close', (error?: Error) => this.#onClose(session, error));
    try {
      await declareExchanges(await session.control());
      await session.confirm();
      for (const resource of [...this.#resources]) await resource.attach(session);
      if (!session.alive) throw new Error('connection closed while attaching consumers');
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  #publish(session: Session): void {
    this.#session = session;
    const reconnect = this.#everConnected;
    this.#everConnected = true;
    this.#options.logger.info({ session: session.id }, reconnect ? 'amqp reconnected' : 'amqp connected');
    for (const waiter of [...this.#waiters]) waiter.resolve(session);
    if (reconnect) this.#emit({ type: 'reconnected' });
  }

  #onClose(session: Session, error?: Error): void {
    session.alive = false;
    if (this.#session !== session) return; // a half-open session that #open already gave up on
    this.#session = undefined;
    if (this.#closed) return;
    if (error) this.#lastError = error;
    this.#options.logger.warn({ err: error, session: session.id }, 'amqp connection lost; reconnecting');
    this.#emit(error ? { type: 'disconnected', error } : { type: 'disconnected' });
    void this.#connectLoop();
  }

  #emit(event: TransportEvent): void {
    try {
      this.events.emit('event', event);
    } catch (error) {
      this.#options.logger.error({ err: error }, 'transport event listener threw');
    }
  }
}

function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** 403 access-refused, 404 not-found, 405 resource-locked, 406 precondition-failed: retrying will not help. */
function isChannelLevelRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 403 && code <= 406;
}
