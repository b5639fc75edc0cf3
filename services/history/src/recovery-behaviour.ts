/**
 * Issue 18 (and 14): every way a recovery can fall short must answer recovered=false, a full one must
 * answer recovered=true with exactly the missed publications, and one longer than an answer's limits comes
 * in pages that each lead on without a hole and together reach the top. Runs `recoverSince` — what the history
 * service answers a Subscribe with `since` — on a real store: the in-memory unit test and the Redis
 * integration test both run this suite.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { big } from './history-bounds-behaviour.js';
import type { HistoryStore } from './history-store.js';
import { type MakeStore, offsets, pub, type StoreSettings } from './history-store-behaviour.js';
import { DEFAULT_RECOVERY_LIMITS, type RecoveryLimits, recoverSince } from './recovery.js';

export function runRecoveryBehaviour(name: string, makeStore: MakeStore): void {
  describe(`recoverSince on ${name}`, () => {
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

    /** A store with channel `a` at offsets 1..count, epoch e1. */
    const filled = async (count: number, settings: Partial<StoreSettings> = {}) => {
      const store = make(settings);
      for (let i = 1; i <= count; i++) await store.append('a', pub(i));
      return store;
    };

    const recover = (
      store: HistoryStore,
      since: number,
      epoch: string,
      limits: Partial<RecoveryLimits> = {},
      channel = 'a',
    ) => recoverSince(store, channel, since, epoch, { ...DEFAULT_RECOVERY_LIMITS, ...limits });

    const notRecovered = (position: { offset: number; epoch: string }) => ({
      recovered: false,
      position,
      publications: [],
      continues: false,
    });

    beforeEach(() => {
      clock = 1_000;
      epochs = 0;
      made = [];
    });

    afterEach(async () => {
      for (const store of made) await store.close();
    });

    it('recovers exactly since+1 … top, and nothing at the top', async () => {
      const store = await filled(5);
      const answer = await recover(store, 2, 'e1');
      expect([answer.recovered, offsets(answer.publications), answer.position]).toEqual([
        true,
        [3, 4, 5],
        { offset: 5, epoch: 'e1' },
      ]);
      expect(await recover(store, 5, 'e1')).toEqual({
        recovered: true,
        position: { offset: 5, epoch: 'e1' },
        publications: [],
        continues: false,
      });
    });

    it('answers recovered=false for a position beyond the top', async () => {
      const store = await filled(5);
      expect(await recover(store, 6, 'e1')).toEqual(notRecovered({ offset: 5, epoch: 'e1' }));
    });

    it('answers recovered=false for a position before the oldest kept publication', async () => {
      const store = await filled(6, { maxPerChannel: 3 });
      expect(await recover(store, 2, 'e1')).toEqual(notRecovered({ offset: 6, epoch: 'e1' }));
      const edge = await recover(store, 3, 'e1');
      expect([edge.recovered, offsets(edge.publications)]).toEqual([true, [4, 5, 6]]);
    });

    it('answers recovered=false for another epoch', async () => {
      const store = await filled(3);
      expect(await recover(store, 1, 'e-other')).toEqual(notRecovered({ offset: 3, epoch: 'e1' }));
    });

    it('pages a recovery longer than maxRecoveryPublications: each page leads on, the last reaches the top', async () => {
      const store = await filled(5);
      const first = await recover(store, 0, 'e1', { maxRecoveryPublications: 2 });
      expect([first.recovered, offsets(first.publications), first.position, first.continues]).toEqual([
        true,
        [1, 2],
        { offset: 2, epoch: 'e1' },
        true,
      ]);
      const second = await recover(store, 2, 'e1', { maxRecoveryPublications: 2 });
      expect([offsets(second.publications), second.position.offset, second.continues]).toEqual([
        [3, 4],
        4,
        true,
      ]);
      const last = await recover(store, 4, 'e1', { maxRecoveryPublications: 2 });
      expect([last.recovered, offsets(last.publications), last.position, last.continues]).toEqual([
        true,
        [5],
        { offset: 5, epoch: 'e1' },
        false,
      ]);
      const fits = await recover(store, 3, 'e1', { maxRecoveryPublications: 2 });
      expect([fits.recovered, offsets(fits.publications), fits.continues]).toEqual([true, [4, 5], false]);
    });

    it('pages a recovery larger than maxRecoveryBytes; one publication larger than it is not recovered', async () => {
      const store = make();
      for (let i = 1; i <= 3; i++) await store.append('a', big(i, 1000));
      const page = await recover(store, 0, 'e1', { maxRecoveryBytes: 2500 });
      expect([page.recovered, offsets(page.publications), page.position.offset, page.continues]).toEqual([
        true,
        [1, 2],
        2,
        true,
      ]);
      const fits = await recover(store, 1, 'e1', { maxRecoveryBytes: 2500 });
      expect([fits.recovered, offsets(fits.publications), fits.continues]).toEqual([true, [2, 3], false]);
      expect(await recover(store, 0, 'e1', { maxRecoveryBytes: 900 })).toEqual(
        notRecovered({ offset: 3, epoch: 'e1' }),
      );
    });

    it('answers recovered=false once the missed publications expired (TTL), true again at the top', async () => {
      const store = await filled(3, { ttlMs: 10_000 });
      clock += 10_000;
      expect(await recover(store, 1, 'e1')).toEqual(notRecovered({ offset: 3, epoch: 'e1' }));
      expect((await recover(store, 3, 'e1')).recovered).toBe(true);
    });

    it('answers recovered=false with a new epoch for a channel evicted since', async () => {
      const store = await filled(2, { maxChannels: 1 });
      clock += 10;
      await store.append('b', pub(1)); // evicts a
      const answer = await recover(store, 2, 'e1');
      expect(answer.recovered).toBe(false);
      expect(answer.publications).toEqual([]);
      expect(answer.position.offset).toBe(0);
      expect(answer.position.epoch).not.toBe('');
      expect(answer.position.epoch).not.toBe('e1');
    });

    it('gives a channel without history an epoch, from which its first publications recover (issue 14)', async () => {
      const store = make();
      const fresh = await recover(store, 0, '', {}, 'new');
      expect(fresh.recovered).toBe(true);
      expect(fresh.position.offset).toBe(0);
      expect(fresh.position.epoch).not.toBe('');
      await store.append('new', pub(1));
      await store.append('new', pub(2));
      const later = await recover(store, 0, fresh.position.epoch, {}, 'new');
      expect([later.recovered, offsets(later.publications), later.position]).toEqual([
        true,
        [1, 2],
        { offset: 2, epoch: fresh.position.epoch },
      ]);
    });

    it('reads {0, ""} as the whole current epoch: recovered only while all of it is kept', async () => {
      const store = await filled(3, { maxPerChannel: 3 });
      const whole = await recover(store, 0, '');
      expect([whole.recovered, offsets(whole.publications), whole.position]).toEqual([
        true,
        [1, 2, 3],
        { offset: 3, epoch: 'e1' },
      ]);
      expect(await recover(store, 2, '')).toEqual(notRecovered({ offset: 3, epoch: 'e1' }));
      await store.append('a', pub(4));
      expect(await recover(store, 0, '')).toEqual(notRecovered({ offset: 4, epoch: 'e1' }));
    });
  });
}
