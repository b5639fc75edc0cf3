import { describe, expect, it } from 'vitest';
import { MemoryInboxStore } from './memory-inbox-store.js';
import { describeInboxStore, HOUR_MS, makeNotification } from './testing/inbox-store-contract.js';

describeInboxStore('MemoryInboxStore', (options) => new MemoryInboxStore(options));

describe('MemoryInboxStore dedup window', () => {
  it('forgets an event id once its TTL has passed and the sweep ran', async () => {
    const store = new MemoryInboxStore();
    const first = makeNotification('u1', {}, 1_000_000);
    await store.add(first);
    await store.expire(1_000_000 + HOUR_MS);
    const later = makeNotification('u1', { eventId: first.eventId }, 1_000_000 + HOUR_MS + 1);
    expect((await store.add(later)).created).toBe(true);
    await store.close();
  });
});
