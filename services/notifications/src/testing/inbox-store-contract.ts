/** The InboxStore contract, run against every implementation (memory: unit, Redis: integration). */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboxStore, InboxStoreOptions, Notification } from '../inbox-store.js';

export type StoreFactory = (options: InboxStoreOptions) => Promise<InboxStore> | InboxStore;

export const HOUR_MS = 3_600_000;

/** A notification with unique ids (so suites can share one Redis). */
export function makeNotification(
  userId: string,
  overrides: Partial<Notification> = {},
  createdAtMs = 1_000_000,
): Notification {
  const id = overrides.id ?? `n-${randomUUID()}`;
  return {
    id,
    eventId: `e-${id}`,
    orderId: `o-${id}`,
    userId,
    type: 'order.created',
    payload: JSON.stringify({ type: 'order.created', title: 't', body: 'b', orderId: `o-${id}` }),
    createdAtMs,
    expiresAtMs: createdAtMs + HOUR_MS,
    ...overrides,
  };
}

export function describeInboxStore(name: string, factory: StoreFactory): void {
  describe(`${name}: InboxStore contract`, () => {
    let store: InboxStore;
    let user: string;
    beforeEach(async () => {
      store = await factory({ maxPerUser: 3 });
      user = `u-${randomUUID()}`;
    });
    afterEach(async () => {
      await store.close();
    });

    it('lists unacked notifications in insertion order', async () => {
      const added = [makeNotification(user), makeNotification(user), makeNotification(user)];
      for (const n of added) expect((await store.add(n)).created).toBe(true);
      expect((await store.unacked(user)).map((n) => n.id)).toEqual(added.map((n) => n.id));
      expect(await store.unacked(`other-${user}`)).toEqual([]);
    });

    it('creates one notification per event id, even after the first was acked', async () => {
      const first = makeNotification(user);
      const again = makeNotification(user, { eventId: first.eventId });
      await store.add(first);
      const duplicate = await store.add(again);
      expect(duplicate).toMatchObject({ created: false, notification: first });
      expect((await store.unacked(user)).map((n) => n.id)).toEqual([first.id]);
      await store.ack(user, [first.id]);
      const afterAck = await store.add(makeNotification(user, { eventId: first.eventId }));
      expect(afterAck).toMatchObject({ created: false, notification: undefined });
      expect(await store.unacked(user)).toEqual([]);
    });

    it('acks only the user’s own ids, each once', async () => {
      const a = makeNotification(user);
      const b = makeNotification(user);
      const stranger = makeNotification(`other-${user}`);
      for (const n of [a, b, stranger]) await store.add(n);
      expect(await store.ack(user, [b.id, stranger.id, 'unknown'])).toEqual([b]);
      expect(await store.ack(user, [b.id])).toEqual([]);
      expect((await store.unacked(user)).map((n) => n.id)).toEqual([a.id]);
      expect((await store.unacked(stranger.userId)).map((n) => n.id)).toEqual([stranger.id]);
    });

    it('expires what is due, once, and keeps the rest', async () => {
      const soon = makeNotification(user, { expiresAtMs: 2_000_000 });
      const later = makeNotification(user, { expiresAtMs: 3_000_000 });
      await store.add(soon);
      await store.add(later);
      expect((await store.expire(1_999_999)).filter((n) => n.userId === user)).toEqual([]);
      expect((await store.expire(2_000_000)).filter((n) => n.userId === user)).toEqual([soon]);
      expect((await store.expire(2_500_000)).filter((n) => n.userId === user)).toEqual([]);
      expect((await store.unacked(user)).map((n) => n.id)).toEqual([later.id]);
    });

    it('evicts the oldest beyond the per-user cap', async () => {
      const added = [1, 2, 3, 4].map(() => makeNotification(user));
      const evicted = [];
      for (const n of added) evicted.push(...(await store.add(n)).evicted);
      expect(evicted).toEqual([added[0]]);
      expect((await store.unacked(user)).map((n) => n.id)).toEqual(added.slice(1).map((n) => n.id));
    });
  });
}
