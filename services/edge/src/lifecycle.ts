/**
 * Lifecycle events on the `lifecycle` work topic and the node heartbeat that lets consumers expire a node
 * that died silently. Publishing failures are logged, never thrown: a missing presence update must not
 * break a socket.
 *
 * Events are coalesced: everything raised in one turn of the event loop leaves as one message, a
 * LifecycleEvent whose `batch` holds them in order — one persistent publish and one broker confirm instead
 * of two per connection. In a connect storm the event loop turns over every few sockets, so "one message
 * per turn" was still about one per connection (issue 17's profile: amqplib's publish and its socket
 * writes ~80 µs of edge CPU per JWT connect). So while a message awaits its confirm, new events wait and
 * leave together once it is settled, and flushes start at least MIN_FLUSH_INTERVAL_MS apart: batches grow
 * with the load, and a node that has been quiet publishes at the next turn. A message with a single event
 * is published plain. Every message of a node is keyed by the node id, so consumers see one node's
 * events in the order it raised them (a connection's `opened` before its `closed`, across batches too).
 *
 * Every message but the heartbeat carries this process's incarnation and the next sequence number, with no
 * holes; the heartbeat carries the last one sent. A consumer that finds a hole (the backlog bound dropped
 * messages, a publish failed) asks for a snapshot (`snapshot`, see reannounce.ts) and replaces its picture
 * of the node with it (docs/bus-contract.md, "Lifecycle sequence and re-announce").
 */
import { randomBytes } from 'node:crypto';
import type { Transport } from '@switchboard/bus';
import {
  encodeLifecycleEvent,
  type ILifecycleEvent,
  ServiceNames,
  type switchboard,
} from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';

export const LIFECYCLE_TOPIC = ServiceNames.lifecycle;

/** Events per message at most: a turn with more leaves as several messages (~100 bytes an event). */
export const MAX_BATCH_EVENTS = 1000;
/**
 * Flushes start at least this far apart. Confirms come back in well under a millisecond from a quiet
 * broker, so "one in flight" alone still made batches of two or three events in a connect storm; spaced
 * out, a busy node publishes at most 100 messages a second, and a node idle for this long still
 * publishes at the next turn.
 */
export const MIN_FLUSH_INTERVAL_MS = 10;

/** Busiest channels a heartbeat carries at most (bus.proto NodeHeartbeat.busiest_channels). */
export const HEARTBEAT_CHANNELS = 10;

/** What a node heartbeat reports. */
export interface NodeStatus {
  readonly connections: number;
  readonly busiestChannels: readonly { channel: string; subscribers: number }[];
}

type Event = Omit<ILifecycleEvent, 'nodeId' | 'timeMs' | 'batch'>;

/** A registered connection as a snapshot describes it. */
export interface SnapshotSource {
  readonly id: string;
  readonly userId: string;
  readonly info?: Uint8Array;
  readonly channels: readonly string[];
}

export class Lifecycle {
  readonly #transport: Transport;
  readonly #nodeId: string;
  readonly #log: Logger;
  readonly #startedAt = Date.now();
  /** New for every process (and every Lifecycle): a restarted node's sequence starts again from 1. */
  readonly incarnation = `${Date.now().toString(36)}-${randomBytes(6).toString('base64url')}`;
  /** The sequence number of the last message sent (0: none yet). */
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  /** This turn's events, published together by #flush. */
  #pending: ILifecycleEvent[] = [];
  #flushScheduled = false;
  /** When the last flush ran (performance.now()). */
  #lastFlushAt = Number.NEGATIVE_INFINITY;
  /** Flushes whose publishes have not all settled: new events wait for them (see the header). */
  #inFlight = 0;

  constructor(transport: Transport, nodeId: string, log: Logger) {
    this.#transport = transport;
    this.#nodeId = nodeId;
    this.#log = log;
  }

  #queue(event: Event): void {
    // Inner events carry their own time; the node id is the outer message's.
    this.#pending.push({ timeMs: Date.now(), ...event });
    if (this.#flushScheduled || this.#inFlight > 0) return;
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    this.#flushScheduled = true;
    const wait = this.#lastFlushAt + MIN_FLUSH_INTERVAL_MS - performance.now();
    if (wait > 0) setTimeout(() => this.#flush(), wait);
    else setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const events = this.#pending;
    this.#pending = [];
    if (events.length === 0) return;
    this.#lastFlushAt = performance.now();
    const sent: Promise<void>[] = [];
    for (let at = 0; at < events.length; at += MAX_BATCH_EVENTS) {
      const slice = events.slice(at, at + MAX_BATCH_EVENTS);
      const message: ILifecycleEvent =
        slice.length === 1
          ? { ...slice[0], nodeId: this.#nodeId }
          : { nodeId: this.#nodeId, timeMs: Date.now(), batch: { events: slice } };
      sent.push(this.#sendNext(message, slice.length));
    }
    // The transport keeps one key's publishes in order, so snapshot() and stop() may flush past this gate.
    this.#inFlight++;
    void Promise.all(sent).then(() => {
      this.#inFlight--;
      if (this.#inFlight === 0 && this.#pending.length > 0 && !this.#flushScheduled) this.#scheduleFlush();
    });
  }

  /** Sends a state message (anything but a heartbeat) with the next sequence number. */
  #sendNext(message: ILifecycleEvent, events: number): Promise<void> {
    return this.#send({ ...message, incarnation: this.incarnation, seq: ++this.#seq }, events);
  }

  /** Settles once the broker has answered; a failure is logged here, never rejected. */
  #send(message: ILifecycleEvent, events: number): Promise<void> {
    return this.#transport
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
      void this.#send(
        {
          nodeId: this.#nodeId,
          timeMs: Date.now(),
          incarnation: this.incarnation,
          heartbeat: {
            connections,
            startedAtMs: this.#startedAt,
            leaseMs: intervalMs * 3,
            busiestChannels: busiestChannels.slice(0, HEARTBEAT_CHANNELS),
            lastSeq: this.#seq,
          },
        },
        1,
      );
    };
    beat();
    this.#timer = setInterval(beat, intervalMs);
    this.#timer.unref();
  }

  /**
   * Publishes the node's state as it is now: every connection with its channels, in chunks of at most
   * MAX_BATCH_EVENTS entries (a connection and each of its channels count one; a connection is never split,
   * so a chunk is right on its own). This turn's pending events go first, and the chunks leave in this same
   * synchronous call, so their sequence numbers are consecutive and no event of the node comes between
   * them. Returns how many connections it announced.
   */
  snapshot(connections: Iterable<SnapshotSource>): number {
    if (this.#pending.length > 0) this.#flush();
    const chunks: switchboard.v1.ISnapshotConnection[][] = [[]];
    let size = 0;
    let count = 0;
    for (const c of connections) {
      const entries = 1 + c.channels.length;
      if (size > 0 && size + entries > MAX_BATCH_EVENTS) {
        chunks.push([]);
        size = 0;
      }
      chunks[chunks.length - 1]!.push({
        connectionId: c.id,
        userId: c.userId,
        info: c.info ?? null,
        channels: [...c.channels],
      });
      size += entries;
      count++;
    }
    const snapshotId = this.#seq + 1;
    for (const [index, chunk] of chunks.entries()) {
      const last = index === chunks.length - 1;
      this.#sendNext(
        {
          nodeId: this.#nodeId,
          timeMs: Date.now(),
          snapshot: { snapshotId, chunk: index, last, connections: chunk },
        },
        chunk.length,
      );
    }
    return count;
  }

  /** Stops the heartbeat and publishes what this turn still holds (a closing node's last events). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length > 0) this.#flush();
  }
}
