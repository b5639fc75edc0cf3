import { describe, expect, it } from 'vitest';
import { big, runHistoryBoundsBehaviour } from './history-bounds-behaviour.js';
import { runHistoryStoreBehaviour } from './history-store-behaviour.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import { runRecoveryBehaviour } from './recovery-behaviour.js';

runHistoryStoreBehaviour('MemoryHistoryStore', (settings) => new MemoryHistoryStore(settings));
runHistoryBoundsBehaviour('MemoryHistoryStore', (settings) => new MemoryHistoryStore(settings));
runRecoveryBehaviour('MemoryHistoryStore', (settings) => new MemoryHistoryStore(settings));

describe('MemoryHistoryStore total bounds (issue 13)', () => {
  it('stays within maxTotalBytes and maxChannels under a flood of new channels with large payloads', async () => {
    const maxTotalBytes = 1_000_000;
    const maxChannelBytes = 200_000;
    const maxChannels = 200;
    const store = new MemoryHistoryStore({
      maxPerChannel: 1000,
      ttlMs: 86_400_000,
      maxChannelBytes,
      maxTotalBytes,
      maxChannels,
    });
    const channels: string[] = [];
    for (let i = 0; i < 500; i++) {
      const channel = `flood-${i}`;
      channels.push(channel);
      // 60 KB publications to a new channel each time, as in the report (a few reuse older channels).
      await store.append(channel, big(i, 60_000));
      if (i % 3 === 0) await store.append(channel, big(i + 1, 60_000));
      const stats = await store.stats();
      expect(stats.bytes).toBeLessThanOrEqual(maxTotalBytes);
      expect(stats.channels).toBeLessThanOrEqual(maxChannels);
    }
    // Independently of the store's own count: the payload bytes it still gives back fit in the bound.
    let payloadBytes = 0;
    for (const channel of channels)
      for (const publication of (await store.latest(channel, 1000)).publications)
        payloadBytes += publication.payload?.byteLength ?? 0;
    expect(payloadBytes).toBeGreaterThan(0);
    expect(payloadBytes).toBeLessThanOrEqual(maxTotalBytes);
    const stats = await store.stats();
    expect(stats.evictions.bytes).toBeGreaterThan(400);
    // The newest channel is kept whole; the oldest are gone with their epochs.
    expect((await store.position('flood-499')).offset).toBe(1);
    expect(await store.position('flood-0')).toEqual({ offset: 0, epoch: '' });
    await store.close();
  });

  it('evicts for the channel count before the byte total when the count binds first', async () => {
    const store = new MemoryHistoryStore({ maxPerChannel: 10, ttlMs: 60_000, maxChannels: 5 });
    for (let i = 0; i < 12; i++) await store.append(`c${i}`, big(i, 10));
    expect(await store.stats()).toMatchObject({ channels: 5, evictions: { channels: 7, bytes: 0 } });
    for (let i = 0; i < 7; i++) expect((await store.position(`c${i}`)).offset).toBe(0);
    for (let i = 7; i < 12; i++) expect((await store.position(`c${i}`)).offset).toBe(1);
    await store.close();
  });

  it('trims the channel being appended to when it alone would exceed maxTotalBytes', async () => {
    const store = new MemoryHistoryStore({
      maxPerChannel: 100,
      ttlMs: 60_000,
      maxChannelBytes: 10_000,
      maxTotalBytes: 10_000,
    });
    for (let i = 1; i <= 20; i++) await store.append('only', big(i, 1000));
    const stats = await store.stats();
    expect(stats.bytes).toBeLessThanOrEqual(10_000);
    expect(stats.channels).toBe(1);
    const kept = (await store.latest('only', 100)).publications.map((p) => Number(p.offset));
    expect(kept.at(-1)).toBe(20);
    expect(kept.length).toBeLessThan(10);
    await store.close();
  });

  it('rejects bounds that cannot hold: zero, or a total below the per-channel bytes', () => {
    const base = { maxPerChannel: 10, ttlMs: 1000 };
    expect(() => new MemoryHistoryStore({ ...base, maxChannels: 0 })).toThrow(/maxChannels/);
    expect(() => new MemoryHistoryStore({ ...base, maxChannelBytes: 0 })).toThrow(/maxChannelBytes/);
    expect(() => new MemoryHistoryStore({ ...base, maxChannelBytes: 2000, maxTotalBytes: 1000 })).toThrow(
      /raise maxTotalBytes/,
    );
  });
});
