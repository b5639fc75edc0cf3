import { describe, expect, it } from 'vitest';
import { KeySerializer } from './key-serializer.js';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('KeySerializer', () => {
  it('runs one key at a time in arrival order, other keys alongside, and survives failures', async () => {
    const serializer = new KeySerializer();
    const events: string[] = [];
    const task =
      (key: string, n: number, fail = false) =>
      async () => {
        events.push(`start ${key}${n}`);
        await tick();
        events.push(`end ${key}${n}`);
        if (fail) throw new Error('boom');
      };
    const done = [
      serializer.run('a', task('a', 1, true)),
      serializer.run('b', task('b', 1)),
      serializer.run('a', task('a', 2)),
    ];
    const results = await Promise.allSettled(done);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const a = events.filter((e) => e.endsWith('a1') || e.endsWith('a2'));
    expect(a).toEqual(['start a1', 'end a1', 'start a2', 'end a2']);
    // b started before a1 ended: keys do not wait for each other.
    expect(events.indexOf('start b1')).toBeLessThan(events.indexOf('end a1'));
  });
});
