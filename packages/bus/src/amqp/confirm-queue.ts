/**
 * The one queue every confirmed publish of a transport goes through, so messages reach the broker in call
 * order even when callers do not await each other, and across reconnects.
 *
 * Each publish is `waiting` (not on any channel) or `written` (on the current confirm channel, confirm
 * pending). Writing is synchronous and walks the queue front to back, so a channel carries messages in call
 * order. When a channel dies, amqplib fails its unconfirmed callbacks in order, at once: those publishes
 * go back to `waiting` in their place, ahead of anything issued later, and the next channel gets them first.
 *
 * Deadlines (`publishTimeoutMs`): a `waiting` publish rejects at its deadline with BusUnavailableError and is
 * never written afterwards. A `written` one waits for its confirm or the loss of its channel; only a loss
 * after the deadline rejects it (the broker may have routed it before the connection went: no client can
 * know). A message whose confirm was lost may be written again on the next connection: at least once.
 * A publish that rejects after it was written at least once says so (`maybeDelivered`): its outcome is
 * unknown, unlike one that never reached a channel. A nacked write (a quorum queue without a leader for a
 * moment, in a cluster) is written again until the deadline: the deadline then rejects it like any waiting
 * publish (maybeDelivered), or, when the last nack comes after the deadline, with BusRejectedError.
 *
 * A publish `untilRoutable` goes out `mandatory`: when no queue took it the broker returns it (basic.return,
 * before the confirm). The caller is answered at once, as for any message the broker confirmed — it did —
 * and the message is written again in the background after a pause, for up to UNROUTABLE_GRACE_MS, then
 * dropped like any message no queue wants. For deliveries to one node: the node's inbox is missing while it
 * is declared again on another broker node (its node stopped or was lost), and a reply published in that
 * moment would otherwise be lost, its request answered only by the edge's timeout. The caller must not wait
 * for it: a service's handler replying to a node that is gone for good would hold its key and its shard's
 * prefetch (history answers every resume of one channel under that channel's key).
 */
import type { Options } from 'amqplib';
import { BusClosedError, BusRejectedError, BusUnavailableError } from '../errors.js';
import { type ConnectionManager, errorMessage } from './connection-manager.js';
import type { Session } from './session.js';

const NACKED = 'message nacked'; // amqplib's error for a basic.nack
/** Pause before writing again when a channel broke while its connection stayed up. */
const SAME_SESSION_RETRY_MS = 50;
/** Pause before writing a nacked message again (a quorum queue electing a leader: ~1 s on a busy cluster). */
const NACK_RETRY_MS = 200;
/** Pause before writing a returned (unroutable) message again (an inbox re-declared: ~1–2 s after its node stops). */
const RETURN_RETRY_MS = 200;
/**
 * How long a returned message is written again, from its first return: an inbox is declared again within
 * ~1–2 s of its node stopping (0.7–2.2 s in the rolling-restart drill on a heavily loaded machine).
 */
const UNROUTABLE_GRACE_MS = 3_000;
/** messageId of a mandatory write, so that a basic.return finds its publish: the prefix, then the write number. */
const RETURN_TAG = 'sb-write-';
const ignore = () => undefined;

export interface ConfirmedPublish {
  readonly what: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
  /** Write it again on the next channel when its confirm was lost with the old one. */
  readonly resend: boolean;
  /** Mandatory: written again until the deadline while the broker returns it as unroutable. */
  readonly untilRoutable?: boolean;
}

interface Entry {
  readonly publish: ConfirmedPublish;
  readonly deadline: number;
  state: 'waiting' | 'written';
  /** Which write a confirm callback belongs to: a callback of an earlier write must not settle it. */
  write: number;
  /** Written at least once: if it fails now, the broker may have routed an earlier write (outcome unknown). */
  written: boolean;
  /** The write the broker returned as unroutable, when that was its last outcome (untilRoutable only; 0: none). */
  returned: number;
  /** When it was first returned (0: never): it is written again until UNROUTABLE_GRACE_MS after that. */
  firstReturnedAt: number;
  /** Its last write was nacked: at the deadline the error says so, not that the connection was missing. */
  nacked: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The caller's; replaced by no-ops once the caller was answered and only a background retry is left. */
  resolve: () => void;
  reject: (error: Error) => void;
}

export class ConfirmQueue {
  readonly #manager: ConnectionManager;
  readonly #timeoutMs: number;
  /** Every unsettled publish, in call order (a Set iterates in insertion order). */
  readonly #entries = new Set<Entry>();
  /** Mandatory writes awaiting their confirm, by write number (what a basic.return names in its messageId). */
  readonly #returnable = new Map<number, Entry>();
  /** Confirm channels with the basic.return listener attached. */
  readonly #watched = new WeakSet<object>();
  #pumping = false;
  #writes = 0;
  #lastError: unknown;

  constructor(manager: ConnectionManager, timeoutMs: number) {
    this.#manager = manager;
    this.#timeoutMs = timeoutMs;
  }

  /** Resolves on the broker's ack; rejects with BusRejectedError (nack), BusUnavailableError or BusClosedError. */
  publish(publish: ConfirmedPublish): Promise<void> {
    if (this.#manager.closed) return Promise.reject(new BusClosedError());
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        publish,
        deadline: Date.now() + this.#timeoutMs,
        state: 'waiting',
        write: 0,
        written: false,
        returned: 0,
        firstReturnedAt: 0,
        nacked: false,
        timer: undefined,
        resolve,
        reject,
      };
      entry.timer = setTimeout(() => this.#expire(entry), this.#timeoutMs);
      this.#entries.add(entry);
      void this.#pump();
    });
  }

  #expire(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (this.#manager.closed) {
      this.#settle(entry, new BusClosedError());
      return;
    }
    if (entry.state !== 'waiting') return; // written: its confirm or the channel's loss decides
    if (entry.returned) {
      this.#settle(entry); // its last write was returned: dropped like any message no queue takes
      return;
    }
    const detail = entry.nacked
      ? `${entry.publish.what}: the broker refused it (nack) on every write for ${this.#timeoutMs} ms — a quorum queue without a leader, or a full queue`
      : `${entry.publish.what}: no broker connection for ${this.#timeoutMs} ms`;
    const error = new BusUnavailableError(detail, { cause: this.#lastError, maybeDelivered: entry.written });
    this.#settle(entry, error);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#hasWaiting()) {
        let session: Session;
        try {
          session = await this.#manager.waitForSession('publish', this.#lastDeadline());
        } catch (error) {
          if (this.#manager.closed || error instanceof BusClosedError) {
            for (const entry of this.#entries) this.#settle(entry, new BusClosedError());
            return;
          }
          // Every waiting publish reached its deadline: reject them now rather than spin until their timers run.
          const now = Date.now();
          for (const entry of this.#entries) {
            if (entry.state === 'waiting' && entry.deadline <= now) this.#expire(entry);
          }
          if (this.#hasWaiting()) await this.#manager.timers.sleep(SAME_SESSION_RETRY_MS);
          continue;
        }
        try {
          const channel = await session.confirm();
          this.#writeWaiting(session, channel);
        } catch (error) {
          this.#lastError = error;
          if (session.alive) await this.#manager.timers.sleep(SAME_SESSION_RETRY_MS);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Writes every waiting publish, front to back; stops at the first write the channel refuses. */
  #writeWaiting(session: Session, channel: Awaited<ReturnType<Session['confirm']>>): void {
    for (const entry of this.#entries) {
      if (entry.state !== 'waiting') continue;
      const write = ++this.#writes;
      entry.state = 'written';
      entry.write = write;
      entry.written = true;
      const { exchange, routingKey, content, untilRoutable } = entry.publish;
      let { options } = entry.publish;
      if (untilRoutable) {
        this.#watchReturns(channel);
        this.#returnable.set(write, entry);
        options = { ...options, mandatory: true, messageId: `${RETURN_TAG}${write}` };
      }
      try {
        channel.publish(exchange, routingKey, content, options, (error: unknown) =>
          this.#confirmed(entry, write, session, error),
        );
      } catch (error) {
        // The channel closed before this write (publish throws synchronously then): keep the order and
        // write this one and the rest on the next channel.
        entry.state = 'waiting';
        this.#returnable.delete(write);
        throw error;
      }
    }
  }

  /** Marks the publish a basic.return names (it comes before that write's confirm, on the same channel). */
  #watchReturns(channel: Awaited<ReturnType<Session['confirm']>>): void {
    if (this.#watched.has(channel)) return;
    this.#watched.add(channel);
    channel.on('return', (message: { properties: { messageId?: unknown } }) => {
      const id = message.properties.messageId;
      if (typeof id !== 'string' || !id.startsWith(RETURN_TAG)) return;
      const write = Number(id.slice(RETURN_TAG.length));
      const entry = this.#returnable.get(write);
      if (entry && entry.write === write) entry.returned = write;
    });
  }

  #confirmed(entry: Entry, write: number, session: Session, error: unknown): void {
    this.#returnable.delete(write);
    if (!this.#entries.has(entry) || entry.write !== write) return;
    const { what, resend } = entry.publish;
    if (error || entry.returned !== write) entry.returned = 0; // the last outcome decides at the deadline
    if (entry.returned) entry.firstReturnedAt ||= Date.now();
    const graceEnds = Math.min(entry.deadline, entry.firstReturnedAt + UNROUTABLE_GRACE_MS);
    if (entry.returned && !this.#manager.closed && Date.now() < graceEnds) {
      // No queue took it (the node's inbox is being declared again): answer the caller, and write it again
      // after a pause. It may then come after a later delivery to the same node.
      const answer = entry.resolve;
      entry.resolve = ignore;
      entry.reject = ignore;
      answer();
      entry.state = 'waiting';
      void this.#manager.timers.sleep(RETURN_RETRY_MS).then(() => this.#pump());
    } else if (!error) this.#settle(entry);
    else if (error instanceof Error && error.message === NACKED) {
      if (resend && !this.#manager.closed && Date.now() < entry.deadline) {
        // A quorum queue refuses messages while it has no leader (its node stopping or lost, until the
        // others elect one): write it again after a pause, until the deadline. It may then come after a
        // later publish the queue accepted meanwhile; on a route to several queues, one that took the
        // nacked write gets it twice (at least once).
        entry.state = 'waiting';
        entry.nacked = true;
        this.#lastError = error;
        void this.#manager.timers.sleep(NACK_RETRY_MS).then(() => this.#pump());
      } else if (entry.nacked) {
        // Nacked before, written again, nacked again past the deadline: a quorum queue that changed leader
        // meanwhile may still have enqueued one of the earlier writes (seen in the node-kill drill: refused
        // publications reached subscribers), so the outcome is unknown, not refused.
        const detail = `${what}: the broker nacked it on every write until the publish timeout; an earlier write may still have been enqueued`;
        this.#settle(entry, new BusUnavailableError(detail, { cause: error, maybeDelivered: true }));
      } else {
        this.#settle(entry, new BusRejectedError(`${what}: broker nacked the message`, { cause: error }));
      }
    } else if (this.#manager.closed) this.#settle(entry, new BusClosedError());
    else if (!resend) {
      const detail = `${what}: connection lost before the broker confirmed`;
      this.#settle(entry, new BusUnavailableError(detail, { cause: error, maybeDelivered: true }));
    } else if (Date.now() >= entry.deadline) {
      const detail = `${what}: ${errorMessage(error)}`;
      this.#settle(entry, new BusUnavailableError(detail, { cause: error, maybeDelivered: true }));
    } else {
      // The channel died with the confirm pending: write it again, in its place, on the next channel.
      entry.state = 'waiting';
      entry.nacked = false;
      this.#lastError = error;
      if (!session.alive) void this.#pump();
      else void this.#manager.timers.sleep(SAME_SESSION_RETRY_MS).then(() => this.#pump());
    }
  }

  #hasWaiting(): boolean {
    for (const entry of this.#entries) if (entry.state === 'waiting') return true;
    return false;
  }

  #lastDeadline(): number {
    let last = 0;
    for (const entry of this.#entries) if (entry.state === 'waiting') last = Math.max(last, entry.deadline);
    return last;
  }

  #settle(entry: Entry, error?: Error): void {
    if (!this.#entries.delete(entry)) return;
    if (entry.timer) clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve();
  }
}
