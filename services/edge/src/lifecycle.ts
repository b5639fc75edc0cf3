/**
 * Lifecycle events on the `lifecycle` work topic (keyed by connection id, so one connection's events stay in
 * order) and the node heartbeat (keyed by node id) that lets consumers expire a node that died silently.
 * Publishing failures are logged, never thrown: a missing presence update must not break a socket.
 */
import type { Transport } from '@switchboard/bus';
import { encodeLifecycleEvent, type ILifecycleEvent } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';

export const LIFECYCLE_TOPIC = 'lifecycle';

export class Lifecycle {
  readonly #transport: Transport;
  readonly #nodeId: string;
  readonly #log: Logger;
  readonly #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(transport: Transport, nodeId: string, log: Logger) {
    this.#transport = transport;
    this.#nodeId = nodeId;
    this.#log = log;
  }

  #publish(key: string, event: Omit<ILifecycleEvent, 'nodeId' | 'timeMs'>): void {
    const bytes = encodeLifecycleEvent({ nodeId: this.#nodeId, timeMs: Date.now(), ...event });
    void this.#transport
      .publishWork(LIFECYCLE_TOPIC, key, bytes)
      .catch((error: unknown) => this.#log.warn({ err: error }, 'lifecycle event not published'));
  }

  opened(c: Connection): void {
    this.#publish(c.id, { connectionOpened: { connectionId: c.id, userId: c.userId, info: c.info ?? null } });
  }

  closed(c: Connection, code: number, reason: string): void {
    this.#publish(c.id, { connectionClosed: { connectionId: c.id, userId: c.userId, code, reason } });
  }

  subscribed(c: Connection, channel: string): void {
    this.#publish(c.id, { subscribed: { connectionId: c.id, userId: c.userId, channel } });
  }

  unsubscribed(c: Connection, channel: string): void {
    this.#publish(c.id, { unsubscribed: { connectionId: c.id, userId: c.userId, channel } });
  }

  /** Heartbeats now and every `intervalMs`; the lease is three intervals. */
  startHeartbeat(intervalMs: number, connections: () => number): void {
    const beat = () =>
      this.#publish(this.#nodeId, {
        heartbeat: { connections: connections(), startedAtMs: this.#startedAt, leaseMs: intervalMs * 3 },
      });
    beat();
    this.#timer = setInterval(beat, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
