/**
 * Lifecycle events on the `lifecycle` work topic and the node heartbeat that lets consumers expire a node
 * that died silently. Publishing failures are logged, never thrown: a missing presence update must not
 * break a socket.
 *
 * Events are coalesced: everything raised in one turn of the event loop (a connect storm accepts hundreds
 * of sockets per turn) leaves as one message, a LifecycleEvent whose `batch` holds them in order — one
 * persistent publish and one broker confirm per turn instead of two per connection. A turn with a single
 * event publishes it plain. Every message of a node is keyed by the node id, so consumers see one node's
 * events in the order it raised them (a connection's `opened` before its `closed`, across batches too).
 */
import type { Transport } from '@switchboard/bus';
import { encodeLifecycleEvent, type ILifecycleEvent, ServiceNames } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';

export const LIFECYCLE_TOPIC = ServiceNames.lifecycle;

/** Events per message at most: a turn with more leaves as several messages (~100 bytes an event). */
export const MAX_BATCH_EVENTS = 1000;

/** Busiest channels a heartbeat carries at most (bus.proto NodeHeartbeat.busiest_channels). */
export const HEARTBEAT_CHANNELS = 10;

/** What a node heartbeat reports. */
export interface NodeStatus {
  readonly connections: number;
  readonly busiestChannels: readonly { channel: string; subscribers: number }[];
}

type Event = Omit<ILifecycleEvent, 'nodeId' | 'timeMs' | 'batch'>;

export class Lifecycle {
  readonly #transport: Transport;
  readonly #nodeId: string;
  readonly #log: Logger;
  readonly #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  /** This turn's events, published together by #flush. */
  #pending: ILifecycleEvent[] = [];
  #flushScheduled = false;

  constructor(transport: Transport, nodeId: string, log: Logger) {
    this.#transport = transport;
    this.#nodeId = nodeId;
    this.#log = log;
  }

  #queue(event: Event): void {
    // Inner events carry their own time; the node id is the outer message's.
    this.#pending.push({ timeMs: Date.now(), ...event });
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const events = this.#pending;
    this.#pending = [];
    for (let at = 0; at < events.length; at += MAX_BATCH_EVENTS) {
      const slice = events.slice(at, at + MAX_BATCH_EVENTS);
      const message: ILifecycleEvent =
        slice.length === 1
          ? { ...slice[0], nodeId: this.#nodeId }
          : { nodeId: this.#nodeId, timeMs: Date.now(), batch: { events: slice } };
      this.#send(message, slice.length);
    }
  }

  #send(message: ILifecycleEvent, events: number): void {
    void this.#transport
      .publishWork(LIFECYCLE_TOPIC, this.#nodeId, encodeLifecycleEvent(message))
      .catch((error: unknown) => this.#log.warn({ err: error, events }, 'lifecycle events not published'));
  }

  opened(c: Connection): void {
    this.#queue({ connectionOpened: { connectionId: c.id, userId: c.userId, info: c.info ?? null } });
  }

  closed(c: Connection, code: number, reason: string): void {
    this.#queue({ connectionClosed: { connectionId: c.id, userId: c.userId, code, reason } });
  }

  subscribed(c: Connection, channel: string): void {
    this.#queue({ subscribed: { connectionId: c.id, userId: c.userId, channel } });
  }

  unsubscribed(c: Connection, channel: string): void {
    this.#queue({ unsubscribed: { connectionId: c.id, userId: c.userId, channel } });
  }

  /**
   * Heartbeats now and every `intervalMs`; the lease is three intervals. Not coalesced: it is the clock.
   * `status` is read at each beat: connections and the busiest channels (at most HEARTBEAT_CHANNELS).
   */
  startHeartbeat(intervalMs: number, status: () => NodeStatus): void {
    const beat = () => {
      const { connections, busiestChannels } = status();
      this.#send(
        {
          nodeId: this.#nodeId,
          timeMs: Date.now(),
          heartbeat: {
            connections,
            startedAtMs: this.#startedAt,
            leaseMs: intervalMs * 3,
            busiestChannels: busiestChannels.slice(0, HEARTBEAT_CHANNELS),
          },
        },
        1,
      );
    };
    beat();
    this.#timer = setInterval(beat, intervalMs);
    this.#timer.unref();
  }

  /** Stops the heartbeat and publishes what this turn still holds (a closing node's last events). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length > 0) this.#flush();
  }
}
