import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../../test/support/wait.js';
import { BusError, BusRejectedError, BusUnavailableError } from './errors.js';
import { OrderedSender } from './ordered-sender.js';

/**
 * A scripted destination: records every attempt (the items handed over, in order) and lets the test settle
 * each attempt when it wants, so "in flight" and "waiting" are under the test's control. Fake timers drive
 * the deadlines.
 */
class Destination {
  readonly attempts: { items: string[]; settle(outcome?: unknown[] | Error): void }[] = [];

  send = (items: readonly string[]): Promise<unknown[] | undefined> =>
    new Promise((resolve, reject) => {
      this.attempts.push({
        items: [...items],
        settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)),
      });
    });

  get sent(): string[] {
    return this.attempts.flatMap((attempt) => attempt.items);
  }

  last() {
    const attempt = this.attempts.at(-1);
    if (!attempt) throw new Error('no attempt yet');
    return attempt;
  }
}

const transient = (message = 'connection refused') => Object.assign(new Error(message), { transient: true });

function sender(
  destination: Destination,
  overrides: { maxBatchBytes?: number; retryFailedAlone?: boolean } = {},
) {
  return new OrderedSender<string>({
    retryFailedAlone: overrides.retryFailedAlone,
    timeoutMs: 1_000,
    maxBatchBytes: overrides.maxBatchBytes ?? 1_000,
    retryPauseMs: 100,
    send: destination.send,
    sizeOf: (item) => item.length,
    isTransient: (error) => (error as { transient?: boolean }).transient === true,
    toError: (error, expired) =>
      expired ? new BusUnavailableError(String(error)) : new BusRejectedError(String(error)),
    delay: sleep,
  });
}

/** Settles a promise's outcome into a plain value so tests can look at it without awaiting. */
function watch(promise: Promise<void>) {
  const state: { outcome?: 'resolved' | Error } = {};
  promise.then(
    () => {
      state.outcome = 'resolved';
    },
    (error: Error) => {
      state.outcome = error;
    },
  );
  return state;
}

describe('OrderedSender', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends in call order and batches what was issued while an attempt was in flight', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination);
    const results = ['a', 'b', 'c', 'd'].map((item) => watch(out.send(item)));
    await vi.advanceTimersByTimeAsync(0);
    expect(destination.attempts.map((a) => a.items)).toEqual([['a', 'b', 'c', 'd']]);
    const more = ['e', 'f'].map((item) => watch(out.send(item)));
    await vi.advanceTimersByTimeAsync(0);
    expect(destination.attempts).toHaveLength(1); // one attempt at a time
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(destination.attempts.map((a) => a.items)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f'],
    ]);
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(0);
    expect([...results, ...more].map((r) => r.outcome)).toEqual(Array(6).fill('resolved'));
  });

  it('never sends a publish that reached its deadline while waiting, and rejects it at the deadline', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination);
    const first = watch(out.send('first'));
    await vi.advanceTimersByTimeAsync(0);
    const waiting = watch(out.send('waiting')); // queued behind the attempt in flight
    await vi.advanceTimersByTimeAsync(1_000);
    expect(waiting.outcome).toBeInstanceOf(BusUnavailableError);
    // Never handed to the client: it cannot have landed, retrying it is safe.
    expect((waiting.outcome as BusUnavailableError).maybeDelivered).toBe(false);
    expect(first.outcome).toBeUndefined(); // handed over: its attempt decides, not the clock
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(first.outcome).toBe('resolved');
    expect(destination.sent).toEqual(['first']);
  });

  it('retries a transient failure ahead of later publishes, and rejects it once its deadline passed', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination);
    const a = watch(out.send('a'));
    await vi.advanceTimersByTimeAsync(0);
    const b = watch(out.send('b'));
    destination.last().settle(transient());
    await vi.advanceTimersByTimeAsync(100);
    expect(destination.attempts.map((x) => x.items)).toEqual([['a'], ['a', 'b']]);
    await vi.advanceTimersByTimeAsync(1_000); // both deadlines pass while the retry is in flight
    expect([a.outcome, b.outcome]).toEqual([undefined, undefined]);
    destination.last().settle(transient());
    await vi.advanceTimersByTimeAsync(0);
    expect(a.outcome).toBeInstanceOf(BusUnavailableError);
    expect(b.outcome).toBeInstanceOf(BusUnavailableError);
    // Both were handed over and their attempts failed: the broker may have them (outcome unknown).
    expect([a, b].map((x) => (x.outcome as BusUnavailableError).maybeDelivered)).toEqual([true, true]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(destination.attempts).toHaveLength(2);
  });

  it('with retryFailedAlone, retries a failed batch as it was; later publishes wait for it', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination, { retryFailedAlone: true });
    const results = ['a', 'b'].map((item) => watch(out.send(item)));
    await vi.advanceTimersByTimeAsync(0);
    const later = ['c', 'd'].map((item) => watch(out.send(item)));
    destination.last().settle([undefined, transient()]); // 'a' accepted, 'b' lost with the connection
    await vi.advanceTimersByTimeAsync(100);
    destination.last().settle(transient());
    await vi.advanceTimersByTimeAsync(100);
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(0);
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(destination.attempts.map((x) => x.items)).toEqual([['a', 'b'], ['b'], ['b'], ['c', 'd']]);
    expect([...results, ...later].map((r) => r.outcome)).toEqual(Array(4).fill('resolved'));
  });

  it('with retryFailedAlone, gives a failed batch up as a whole once one of it is past its deadline', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination, { retryFailedAlone: true });
    const a = watch(out.send('a'));
    await vi.advanceTimersByTimeAsync(0);
    const b = watch(out.send('b')); // b and c wait behind 'a', enqueued 10 ms apart
    await vi.advanceTimersByTimeAsync(10);
    const c = watch(out.send('c'));
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(destination.last().items).toEqual(['b', 'c']);
    await vi.advanceTimersByTimeAsync(995); // b's deadline has passed, c's is 5 ms away
    destination.last().settle(transient());
    await vi.advanceTimersByTimeAsync(0);
    expect(a.outcome).toBe('resolved');
    expect([b.outcome, c.outcome].map((x) => x instanceof BusUnavailableError && x.maybeDelivered)).toEqual([
      true,
      true,
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(destination.attempts).toHaveLength(2);
  });

  it('after a permanent failure of a batch, sends each item alone so only the culprit is rejected', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination);
    const first = watch(out.send('first'));
    await vi.advanceTimersByTimeAsync(0);
    const rest = ['ok-1', 'bad', 'ok-2'].map((item) => watch(out.send(item)));
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(0);
    destination.last().settle(new Error('message too large'));
    for (const expected of ['ok-1', 'bad', 'ok-2']) {
      await vi.advanceTimersByTimeAsync(0);
      expect(destination.last().items).toEqual([expected]);
      destination.last().settle(expected === 'bad' ? new Error('message too large') : undefined);
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(first.outcome).toBe('resolved');
    expect(rest.map((r) => (r.outcome instanceof BusError ? r.outcome.code : r.outcome))).toEqual([
      'resolved',
      'SB_ERR_BUS_REJECTED',
      'resolved',
    ]);
  });

  it('settles per item when the destination reports per-item results', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination);
    const results = ['a', 'b', 'c'].map((item) => watch(out.send(item)));
    await vi.advanceTimersByTimeAsync(0);
    // 'a' accepted, 'b' refused for good, 'c' lost with the connection: 'c' alone is tried again.
    destination.last().settle([undefined, new Error('WRONGTYPE'), transient()]);
    await vi.advanceTimersByTimeAsync(100);
    expect(destination.last().items).toEqual(['c']);
    destination.last().settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(results[0]!.outcome).toBe('resolved');
    expect(results[1]!.outcome).toBeInstanceOf(BusRejectedError);
    expect(results[2]!.outcome).toBe('resolved');
  });

  it('keeps batches under maxBatchBytes; a larger item goes alone', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination, { maxBatchBytes: 4 });
    for (const item of ['aa', 'bb', 'cc', 'huge-item', 'dd']) void out.send(item).catch(() => undefined);
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(0);
      destination.last().settle();
    }
    expect(destination.attempts.map((a) => a.items)).toEqual([['aa', 'bb'], ['cc'], ['huge-item'], ['dd']]);
  });

  it('rejects waiting publishes with BusClosedError on close and refuses new ones', async () => {
    vi.useFakeTimers();
    const destination = new Destination();
    const out = sender(destination);
    const inFlight = watch(out.send('in-flight'));
    await vi.advanceTimersByTimeAsync(0);
    const waiting = watch(out.send('waiting'));
    out.close();
    await vi.advanceTimersByTimeAsync(0);
    expect((waiting.outcome as BusError).code).toBe('SB_ERR_BUS_CLOSED');
    await expect(out.send('late')).rejects.toMatchObject({ code: 'SB_ERR_BUS_CLOSED' });
    destination.last().settle(); // the broker accepted it before the close: say so
    await vi.advanceTimersByTimeAsync(0);
    expect(inFlight.outcome).toBe('resolved');
    expect(destination.sent).toEqual(['in-flight']);
  });
});
