/**
 * The channel bounds every HistoryStore must keep (issue 13) and the `open` / `since` additions of issues 14
 * and 18, as a suite the in-memory unit test and the Redis integration test both run. Clock and epochs are
 * injected: no wall-clock waits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryStore } from './history-store.js';
import { type MakeStore, offsets, pub, type StoreSettings } from './history-store-behaviour.js';

/** A publication whose payload is `size` bytes. */
export const big = (n: number, size: number) => ({
  type: 'msg',
  payload: new Uint8Array(size).fill(65 + (n % 26)),
  timeMs: n,
});

export function runHistoryBoundsBehaviour(name: string, makeStore: MakeStore): void {
  describe(`${name} (channel bounds, open, since limits)`, () => {
    let clock: number;
    let epochs: number;
    let made: HistoryStore[];

    const make = (settings: Partial<StoreSettings> = {}) => {
      const store = makeStore({
        maxPerChannel: 1000,
        ttlMs: 60_000,
        now: () => clock,
        newEpoch: () => `e${++epochs}`,
        ...settings,
      });
      made.push(store);
      return store;
    };

    beforeEach(() => {
      clock = 1_000;
      epochs = 0;
      made = [];
    });

    afterEach(async () => {
      for (const store of made) await store.close();
    });

    it('evicts the least recently published channel past maxChannels; its next use starts a new epoch', async () => {
      const store = make({ maxChannels: 3 });
      for (const channel of ['a', 'b', 'c']) {
        clock += 10;
        await store.append(channel, pub(1));
      }
      clock += 10;
      expect(await store.append('a', pub(2))).toEqual({ offset: 2, epoch: 'e1' }); // a is now the newest
      clock += 10;
      await store.append('d', pub(1)); // b is the least recently published
      expect(await store.position('b')).toEqual({ offset: 0, epoch: '' });
      expect(await store.since('b', 1, 'e2')).toBe('gap');
      expect(await store.position('a')).toEqual({ offset: 2, epoch: 'e1' });
      expect(await store.position('c')).toEqual({ offset: 1, epoch: 'e3' });
      clock += 10;
      const again = await store.append('b', pub(1)); // evicts c
      expect(again.offset).toBe(1);
      expect(again.epoch).not.toBe('e2');
      expect(await store.position('c')).toEqual({ offset: 0, epoch: '' });
      expect(await store.stats()).toMatchObject({ channels: 3, evictions: { channels: 2, bytes: 0 } });
    });

    it('evicts channels opened but never published before any published one', async () => {
      const store = make({ maxChannels: 3 });
      await store.append('a', pub(1));
      clock += 10;
      await store.append('b', pub(1));
      clock += 10;
      expect(await store.open('x')).toEqual({ offset: 0, epoch: 'e3' });
      clock += 10;
      await store.open('y'); // x goes, although a is older
      expect(await store.position('x')).toEqual({ offset: 0, epoch: '' });
      clock += 10;
      await store.append('c', pub(1)); // y goes
      expect(await store.position('y')).toEqual({ offset: 0, epoch: '' });
      expect((await store.position('a')).offset).toBe(1);
      expect((await store.position('b')).offset).toBe(1);
      expect((await store.stats()).channels).toBe(3);
    });

    it('opens an empty channel with an epoch once; {0, epoch} then recovers its first publications', async () => {
      const store = make();
      expect(await store.open('a')).toEqual({ offset: 0, epoch: 'e1' });
      expect(await store.open('a')).toEqual({ offset: 0, epoch: 'e1' });
      expect(await store.append('a', pub(1))).toEqual({ offset: 1, epoch: 'e1' });
      expect(await store.append('a', pub(2))).toEqual({ offset: 2, epoch: 'e1' });
      expect(await store.open('a')).toEqual({ offset: 2, epoch: 'e1' });
      const recovery = await store.since('a', 0, 'e1');
      expect(recovery !== 'gap' && offsets(recovery.publications)).toEqual([1, 2]);
    });

    it('keeps at most maxChannelBytes of publications per channel, the newest', async () => {
      // 1000-byte payloads: three fit in 3500 bytes with either store's per-entry overhead, four do not.
      const store = make({ maxChannelBytes: 3500 });
      for (let i = 1; i <= 6; i++) await store.append('a', big(i, 1000));
      expect(offsets((await store.latest('a', 100)).publications)).toEqual([4, 5, 6]);
      expect(await store.since('a', 2, 'e1')).toBe('gap');
      const kept = await store.since('a', 3, 'e1');
      expect(kept !== 'gap' && offsets(kept.publications)).toEqual([4, 5, 6]);
      // One publication larger than the bound gets its offset but is not kept: resuming before it is a gap.
      expect(await store.append('a', big(7, 5000))).toEqual({ offset: 7, epoch: 'e1' });
      expect((await store.latest('a', 100)).publications).toEqual([]);
      expect(await store.since('a', 6, 'e1')).toBe('gap');
      const atTop = await store.since('a', 7, 'e1');
      expect(atTop !== 'gap' && atTop.position).toEqual({ offset: 7, epoch: 'e1' });
      await store.append('a', big(8, 1000));
      expect(offsets((await store.latest('a', 100)).publications)).toEqual([8]);
    });

    it('returns at most `limit` publications from since (the caller sees the cut)', async () => {
      const store = make();
      for (let i = 1; i <= 5; i++) await store.append('a', pub(i));
      const cut = await store.since('a', 1, 'e1', 2);
      expect(cut !== 'gap' && offsets(cut.publications)).toEqual([2, 3]);
      expect(cut !== 'gap' && cut.position).toEqual({ offset: 5, epoch: 'e1' });
    });

    it('reads since {0, ""} as the start of the current epoch, and any other offset with "" as a gap', async () => {
      const store = make({ maxPerChannel: 3 });
      for (let i = 1; i <= 3; i++) await store.append('a', pub(i));
      const whole = await store.since('a', 0, '');
      expect(whole !== 'gap' && offsets(whole.publications)).toEqual([1, 2, 3]);
      expect(whole !== 'gap' && whole.position).toEqual({ offset: 3, epoch: 'e1' });
      expect(await store.since('a', 1, '')).toBe('gap');
      await store.append('a', pub(4)); // offset 1 is trimmed: the stream since 1 is no longer whole
      expect(await store.since('a', 0, '')).toBe('gap');
      expect(await store.since('unknown', 0, '')).toBe('gap');
    });
  });
}
