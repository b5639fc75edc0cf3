/**
 * The behaviour every HistoryStore must show, as a suite both the in-memory unit test and the Redis
 * integration test run. Clock and epoch generator are injected: no wall-clock waits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryStore } from './history-store.js';

export interface StoreSettings {
  readonly maxPerChannel: number;
  readonly ttlMs: number;
  readonly maxChannels?: number;
  readonly maxChannelBytes?: number;
  readonly now?: () => number;
  readonly newEpoch?: () => string;
}

export type MakeStore = (settings: StoreSettings) => HistoryStore;

export const pub = (n: number) => ({ type: 'msg', payload: new TextEncoder().encode(`m${n}`), timeMs: n });
export const offsets = (publications: { offset?: number | null | { toNumber(): number } }[]) =>
  publications.map((p) => Number(p.offset));
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

export function runHistoryStoreBehaviour(name: string, makeStore: MakeStore): void {
  describe(`${name} (HistoryStore behaviour)`, () => {
    let clock: number;
    let epochs: number;
    let store: HistoryStore;
    let made: HistoryStore[];

    const make = (maxPerChannel: number, ttlMs: number) => {
      const created = makeStore({ maxPerChannel, ttlMs, now: () => clock, newEpoch: () => `e${++epochs}` });
      made.push(created);
      return created;
    };

    beforeEach(() => {
      clock = 1_000;
      epochs = 0;
      made = [];
      store = make(1000, 60_000);
    });

    afterEach(async () => {
      for (const created of made) await created.close();
    });

    it('numbers each channel from 1 with one epoch per channel, created at the first append', async () => {
      expect(await store.position('a')).toEqual({ offset: 0, epoch: '' });
      expect(await store.append('a', pub(1))).toEqual({ offset: 1, epoch: 'e1' });
      expect(await store.append('b', pub(2))).toEqual({ offset: 1, epoch: 'e2' });
      expect(await store.append('a', pub(3))).toEqual({ offset: 2, epoch: 'e1' });
      const page = await store.latest('a', 10);
      expect(offsets(page.publications)).toEqual([1, 2]);
      expect(page.publications.map((p) => [p.channel, p.epoch, p.timeMs])).toEqual([
        ['a', 'e1', 1],
        ['a', 'e1', 3],
      ]);
      expect(page.position).toEqual({ offset: 2, epoch: 'e1' });
    });

    it('returns exactly the publications after a position, and an empty recovery at the top', async () => {
      for (let i = 1; i <= 5; i++) await store.append('a', pub(i));
      const recovery = await store.since('a', 2, 'e1');
      expect(recovery).not.toBe('gap');
      if (recovery === 'gap') return;
      expect(offsets(recovery.publications)).toEqual([3, 4, 5]);
      expect(recovery.position).toEqual({ offset: 5, epoch: 'e1' });
      const top = await store.since('a', 5, 'e1');
      expect(top !== 'gap' && top.publications).toEqual([]);
    });

    it('reports a gap for another epoch, an unknown channel, or an offset beyond the top', async () => {
      for (let i = 1; i <= 3; i++) await store.append('a', pub(i));
      expect(await store.since('a', 1, 'other')).toBe('gap');
      expect(await store.since('unknown', 0, 'e1')).toBe('gap');
      expect(await store.since('a', 4, 'e1')).toBe('gap');
    });

    it('keeps the newest maxPerChannel and reports a gap for positions before them', async () => {
      store = make(3, 60_000);
      for (let i = 1; i <= 6; i++) await store.append('a', pub(i));
      expect(offsets((await store.latest('a', 100)).publications)).toEqual([4, 5, 6]);
      expect(await store.since('a', 2, 'e1')).toBe('gap');
      const kept = await store.since('a', 3, 'e1');
      expect(kept !== 'gap' && offsets(kept.publications)).toEqual([4, 5, 6]);
    });

    it('drops publications older than the TTL but keeps the top offset and epoch', async () => {
      store = make(1000, 10_000);
      await store.append('a', pub(1));
      clock += 6_000;
      await store.append('a', pub(2));
      clock += 5_000; // offset 1 is now 11 s old, offset 2 is 5 s old
      expect(offsets((await store.latest('a', 100)).publications)).toEqual([2]);
      expect(await store.since('a', 0, 'e1')).toBe('gap');
      const recent = await store.since('a', 1, 'e1');
      expect(recent !== 'gap' && offsets(recent.publications)).toEqual([2]);
      clock += 10_000;
      expect((await store.latest('a', 100)).publications).toEqual([]);
      expect(await store.since('a', 1, 'e1')).toBe('gap');
      const atTop = await store.since('a', 2, 'e1');
      expect(atTop !== 'gap' && atTop.position).toEqual({ offset: 2, epoch: 'e1' });
      expect(await store.append('a', pub(3))).toEqual({ offset: 3, epoch: 'e1' });
    });

    it('pages history: last N, and last N before an offset', async () => {
      for (let i = 1; i <= 6; i++) await store.append('a', pub(i));
      expect(offsets((await store.latest('a', 2)).publications)).toEqual([5, 6]);
      expect(offsets((await store.latest('a', 2, 4)).publications)).toEqual([2, 3]);
      expect(offsets((await store.latest('a', 10, 3)).publications)).toEqual([1, 2]);
      expect((await store.latest('a', 0)).publications).toEqual([]);
      expect(await store.latest('none', 5)).toEqual({ publications: [], position: { offset: 0, epoch: '' } });
    });

    it('rejects retention that keeps nothing', () => {
      expect(() => makeStore({ maxPerChannel: 0, ttlMs: 1000 })).toThrow(RangeError);
      expect(() => makeStore({ maxPerChannel: 10, ttlMs: 0 })).toThrow(RangeError);
    });

    it('appends a redelivered publish id once while its publication is kept, per channel', async () => {
      expect(await store.append('a', pub(1), 'p1')).toEqual({ offset: 1, epoch: 'e1' });
      expect(await store.append('a', pub(2), 'p2')).toEqual({ offset: 2, epoch: 'e1' });
      expect(await store.append('a', pub(1), 'p1')).toEqual({ offset: 1, epoch: 'e1' });
      expect(await store.append('a', pub(3))).toEqual({ offset: 3, epoch: 'e1' });
      expect(await store.append('a', pub(4))).toEqual({ offset: 4, epoch: 'e1' });
      expect(await store.append('b', pub(1), 'p1')).toEqual({ offset: 1, epoch: 'e2' });
      const page = await store.latest('a', 10);
      expect(offsets(page.publications)).toEqual([1, 2, 3, 4]);
      expect(page.publications.map((p) => text(p.payload))).toEqual(['m1', 'm2', 'm3', 'm4']);
      expect(page.position).toEqual({ offset: 4, epoch: 'e1' });
    });

    it('forgets publish ids with the publications they belong to (count and TTL)', async () => {
      store = make(2, 10_000);
      await store.append('a', pub(1), 'p1');
      await store.append('a', pub(2), 'p2');
      await store.append('a', pub(3), 'p3');
      expect(await store.append('a', pub(1), 'p1')).toEqual({ offset: 4, epoch: 'e1' });
      expect(await store.append('a', pub(3), 'p3')).toEqual({ offset: 3, epoch: 'e1' });
      clock += 10_000;
      expect(await store.append('a', pub(3), 'p3')).toEqual({ offset: 5, epoch: 'e1' });
      expect(offsets((await store.latest('a', 10)).publications)).toEqual([5]);
    });

    it('gives back type, payload, time and sender as they were appended', async () => {
      await store.append('a', { ...pub(7), from: { userId: 'bob', connectionId: 'edge-a.c9' } });
      const [first] = (await store.latest('a', 1)).publications;
      expect([first?.type, text(first?.payload), Number(first?.timeMs), first?.from?.userId]).toEqual([
        'msg',
        'm7',
        7,
        'bob',
      ]);
    });
  });
}
