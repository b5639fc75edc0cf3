import { describe, expect, it } from 'vitest';
import { TimerSet } from './timer-set.js';

describe('TimerSet', () => {
  it('races a promise against a timeout and forgets the timer either way', async () => {
    const timers = new TimerSet();
    expect(await timers.race(Promise.resolve('done'), 10_000, () => 'late')).toBe('done');
    expect(timers.size).toBe(0);
    expect(await timers.race(new Promise<string>(() => undefined), 5, () => 'late')).toBe('late');
    expect(timers.size).toBe(0);
  });

  it('wakes pending delays and races on clear, and starts nothing afterwards', async () => {
    const timers = new TimerSet();
    const delayed = timers.delay(60_000);
    const raced = timers.race(new Promise<string>(() => undefined), 60_000, () => 'cleared');
    let ticks = 0;
    timers.every(60_000, () => ticks++);
    expect(timers.size).toBe(3);
    timers.clear();
    await delayed;
    expect(await raced).toBe('cleared');
    expect(timers.size).toBe(0);
    await timers.delay(60_000);
    timers.every(1, () => ticks++);
    expect(timers.size).toBe(0);
    expect(ticks).toBe(0);
  });

  it('sleep tells an elapsed wait (true) from one cut short by clear (false)', async () => {
    const timers = new TimerSet();
    expect(await timers.sleep(1)).toBe(true);
    expect(timers.size).toBe(0);
    const waiting = timers.sleep(60_000);
    timers.clear();
    expect(await waiting).toBe(false);
    expect(await timers.sleep(60_000)).toBe(false);
  });

  it('a pause can be ended early by the function handed to onWake, and forgets its timer', async () => {
    const timers = new TimerSet();
    let wake: () => void = () => undefined;
    const waiting = timers.sleep(60_000, (w) => {
      wake = w;
    });
    expect(timers.size).toBe(1);
    wake();
    expect(await waiting).toBe(false);
    expect(timers.size).toBe(0);
  });
});
