/**
 * A user's inbox of order notifications: what was made from an order event and not yet acked by a client.
 * Two implementations: MemoryInboxStore (embedded default, one process) and RedisInboxStore (shared by
 * every instance, survives a restart).
 *
 * Contract (both implementations, tested alike):
 * - add() is idempotent by event id: while the event id is remembered (until the notification's
 *   `expiresAtMs`, even after an ack), a second add creates nothing and says so.
 * - unacked() lists a user's notifications in the order they were added.
 * - ack() removes the given ids from that user's inbox only and returns the ones it removed (an id that is
 *   unknown, already acked or another user's is ignored), so concurrent acks report each id once.
 * - expire(now) removes every notification with `expiresAtMs <= now` and returns them (each once).
 */

export interface Notification {
  /** Push id sent to the client, and what the client acks. */
  readonly id: string;
  readonly eventId: string;
  readonly orderId: string;
  readonly userId: string;
  /** Push type, e.g. `order.shipped`. */
  readonly type: string;
  /** JSON text of the push payload. */
  readonly payload: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

export type AddResult =
  | {
      readonly created: true;
      readonly notification: Notification;
      /** Older notifications of the user dropped to respect the per-user cap (oldest first). */
      readonly evicted: readonly Notification[];
    }
  | {
      readonly created: false;
      /** The notification already made from this event id; undefined once it was acked or expired. */
      readonly notification: Notification | undefined;
      readonly evicted: readonly Notification[];
    };

export interface InboxStore {
  add(notification: Notification): Promise<AddResult>;
  unacked(userId: string): Promise<Notification[]>;
  ack(userId: string, ids: readonly string[]): Promise<Notification[]>;
  expire(nowMs: number): Promise<Notification[]>;
  close(): Promise<void>;
}

export interface InboxStoreOptions {
  /** Most notifications kept per user; adding beyond it evicts the oldest. 0 or undefined = no cap. */
  readonly maxPerUser?: number;
}
