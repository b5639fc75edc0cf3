import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InterestIndex } from './interest-index.js';
import { MemoryBroker, MemoryTransport } from './memory/index.js';
import { channelRoute, userRoute } from './routes.js';
import type { NodeSubscription, Route } from './transport.js';

/** The memory bus's real node inbox, recording which interest calls reached it. */
function recording(sub: NodeSubscription, batches: Route[][], singles: Route[], batched = true) {
  const out: NodeSubscription = {
    node: sub.node,
    addInterest: (route) => {
      singles.push(route);
      return sub.addInterest(route);
    },
    removeInterest: (route) => sub.removeInterest(route),
    close: () => sub.close(),
  };
  if (batched)
    out.addInterests = (routes) => {
      batches.push([...routes]);
      return sub.addInterests!(routes);
    };
  return out;
}

describe('InterestIndex batches the routes that appear in one turn', () => {
  let broker: MemoryBroker;
  let node: MemoryTransport;
  let publisher: MemoryTransport;
  let got: string[];
  let sub: NodeSubscription;

  beforeEach(async () => {
    broker = new MemoryBroker();
    node = new MemoryTransport({ broker });
    publisher = new MemoryTransport({ broker });
    got = [];
    sub = await node.openNode('n1', (bytes) => got.push(new TextDecoder().decode(bytes)));
  });
  afterEach(async () => {
    await node.close();
    await publisher.close();
  });

  it('binds N new routes of one turn with one call, and every acquirer resolves once they are bound', async () => {
    const batches: Route[][] = [];
    const singles: Route[] = [];
    const index = new InterestIndex(recording(sub, batches, singles));
    const n = 50;
    const acquired = Array.from({ length: n }, (_, i) => index.acquire(userRoute(`u${i}`)));
    // A second subscriber of a route waits for the same binding, adding nothing.
    acquired.push(index.acquire(userRoute('u0')));
    await Promise.all(acquired);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(n);
    expect(singles).toHaveLength(0);
    // Bound before the acquirers resolved: a delivery published now is routed.
    for (let i = 0; i < n; i++)
      await publisher.publishDelivery(userRoute(`u${i}`), new TextEncoder().encode(`d${i}`));
    await expect.poll(() => got.length).toBe(n);
    expect(index.count(userRoute('u0'))).toBe(2);
  });

  it('skips a route released before its turn ended, and re-binds one acquired again', async () => {
    const batches: Route[][] = [];
    const index = new InterestIndex(recording(sub, batches, []));
    const gone = index.acquire(channelRoute('gone'));
    const kept = index.acquire(channelRoute('kept'));
    const released = index.release(channelRoute('gone'));
    await Promise.all([gone, kept, released]);
    expect(batches.map((b) => b.map((r) => (r as { channel: string }).channel))).toEqual([['kept']]);
    await publisher.publishDelivery(channelRoute('gone'), new TextEncoder().encode('gone'));
    await publisher.publishDelivery(channelRoute('kept'), new TextEncoder().encode('kept'));
    await expect.poll(() => got).toEqual(['kept']);

    await index.release(channelRoute('kept'));
    const again = index.acquire(channelRoute('kept'));
    await again;
    await publisher.publishDelivery(channelRoute('kept'), new TextEncoder().encode('again'));
    await expect.poll(() => got).toEqual(['kept', 'again']);
  });

  it('gathers the routes that arrive while a batch is applied into the next one, over many turns', async () => {
    const batches: Route[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inner = recording(sub, batches, []);
    const index = new InterestIndex({
      ...inner,
      addInterests: async (routes) => {
        await inner.addInterests!(routes);
        if (batches.length === 1) await gate; // the first batch's round trip takes its time
      },
    });
    const first = index.acquire(userRoute('first'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const later: Promise<void>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      later.push(index.acquire(userRoute(`a${turn}`)), index.acquire(userRoute(`b${turn}`)));
      await new Promise((r) => setImmediate(r));
    }
    expect(batches).toHaveLength(1);
    release();
    await Promise.all([first, ...later]);
    expect(batches.map((b) => b.length)).toEqual([1, 10]);
  });

  it('with releaseDelayMs, keeps a route bound for a subscriber that comes back in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const batches: Route[][] = [];
      const removed: Route[] = [];
      const inner = recording(sub, batches, []);
      const index = new InterestIndex(
        {
          ...inner,
          removeInterest: (route) => {
            removed.push(route);
            return inner.removeInterest(route);
          },
        },
        { releaseDelayMs: 5_000 },
      );
      await index.acquire(userRoute('back'));
      await index.acquire(userRoute('gone'));
      await index.release(userRoute('back'));
      await index.release(userRoute('gone'));
      await vi.advanceTimersByTimeAsync(4_000);
      await index.acquire(userRoute('back')); // reconnects within the delay
      await vi.advanceTimersByTimeAsync(2_000);
      expect(removed.map((r) => (r as { user: string }).user)).toEqual(['gone']);
      expect(batches.flat().map((r) => (r as { user: string }).user)).toEqual(['back', 'gone']);
      // In publish order: were `gone` still routed, it would arrive first.
      await publisher.publishDelivery(userRoute('gone'), new TextEncoder().encode('not routed'));
      await publisher.publishDelivery(userRoute('back'), new TextEncoder().encode('still routed'));
      await vi.waitFor(() => expect(got).toContain('still routed'));
      expect(got).toEqual(['still routed']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with minBatchIntervalMs, starts a batch no sooner than that after the last one began', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const batches: Route[][] = [];
      const index = new InterestIndex(recording(sub, batches, []), { minBatchIntervalMs: 10 });
      const users = () => batches.map((b) => b.map((r) => (r as { user: string }).user));
      const first = index.acquire(userRoute('a'));
      await first; // idle: the first route goes at the next turn, no waiting for the interval
      expect(users()).toEqual([['a']]);
      const b = index.acquire(userRoute('b'));
      await vi.advanceTimersByTimeAsync(4);
      const c = index.acquire(userRoute('c'));
      await vi.advanceTimersByTimeAsync(4);
      expect(users()).toEqual([['a']]); // 8 ms after the first batch began: still gathering
      await vi.advanceTimersByTimeAsync(2);
      await Promise.all([b, c]);
      expect(users()).toEqual([['a'], ['b', 'c']]);
      await vi.advanceTimersByTimeAsync(50);
      await index.acquire(userRoute('d')); // quiet for longer than the interval: at once again
      expect(users()).toEqual([['a'], ['b', 'c'], ['d']]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('falls back to one addInterest per route when the inbox has no batch call', async () => {
    const singles: Route[] = [];
    const index = new InterestIndex(recording(sub, [], singles, false));
    await Promise.all([index.acquire(userRoute('a')), index.acquire(userRoute('b'))]);
    expect(singles.map((r) => (r as { user: string }).user)).toEqual(['a', 'b']);
  });
});
