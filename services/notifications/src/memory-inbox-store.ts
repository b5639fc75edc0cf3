/** In-process InboxStore: the embedded default. Lost on restart; not shared between instances. */
import type { AddResult, InboxStore, InboxStoreOptions, Notification } from './inbox-store.js';

interface Seen {
  readonly id: string;
  readonly untilMs: number;
}

export class MemoryInboxStore implements InboxStore {
  readonly #maxPerUser: number;
  /** user -> notification ids in insertion order (a Map keeps insertion order). */
  readonly #inboxes = new Map<string, Map<string, Notification>>();
  readonly #events = new Map<string, Seen>();

  constructor(options: InboxStoreOptions = {}) {
    this.#maxPerUser = options.maxPerUser ?? 0;
  }

  async add(notification: Notification): Promise<AddResult> {
    const seen = this.#events.get(notification.eventId);
    if (seen && seen.untilMs > notification.createdAtMs) {
      const existing = this.#inboxes.get(notification.userId)?.get(seen.id);
      return { created: false, notification: existing, evicted: [] };
    }
    this.#events.set(notification.eventId, { id: notification.id, untilMs: notification.expiresAtMs });
    let inbox = this.#inboxes.get(notification.userId);
    if (!inbox) {
      inbox = new Map();
      this.#inboxes.set(notification.userId, inbox);
    }
    inbox.set(notification.id, notification);
    const evicted: Notification[] = [];
    if (this.#maxPerUser > 0) {
      for (const [id, old] of inbox) {
        if (inbox.size <= this.#maxPerUser) break;
        inbox.delete(id);
        evicted.push(old);
      }
    }
    return { created: true, notification, evicted };
  }

  async unacked(userId: string): Promise<Notification[]> {
    return [...(this.#inboxes.get(userId)?.values() ?? [])];
  }

  async ack(userId: string, ids: readonly string[]): Promise<Notification[]> {
    const inbox = this.#inboxes.get(userId);
    if (!inbox) return [];
    const removed: Notification[] = [];
    for (const id of ids) {
      const notification = inbox.get(id);
      if (!notification) continue;
      inbox.delete(id);
      removed.push(notification);
    }
    if (inbox.size === 0) this.#inboxes.delete(userId);
    return removed;
  }

  async expire(nowMs: number): Promise<Notification[]> {
    const expired: Notification[] = [];
    for (const [userId, inbox] of this.#inboxes) {
      for (const [id, notification] of inbox) {
        if (notification.expiresAtMs > nowMs) continue;
        inbox.delete(id);
        expired.push(notification);
      }
      if (inbox.size === 0) this.#inboxes.delete(userId);
    }
    for (const [eventId, seen] of this.#events) if (seen.untilMs <= nowMs) this.#events.delete(eventId);
    return expired.sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  }

  async close(): Promise<void> {}
}
