import { describe, expect, it } from 'vitest';
import { OffsetCommitter } from './offset-committer.js';

/** A commit function whose calls stay open until the test settles them, in order. */
function controlledCommits() {
  const calls: { partition: number; offset: string; settle: (error?: Error) => void }[] = [];
  const commit = (partition: number, offset: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ partition, offset, settle: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, commit };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('OffsetCommitter', () => {
  it('commits the first handled offset at once, without waiting for anything', () => {
    const { calls, commit } = controlledCommits();
    const committer = new OffsetCommitter(commit, () => undefined);
    committer.handled(3, '10');
    expect(calls.map((c) => [c.partition, c.offset])).toEqual([[3, '10']]);
  });

  it('keeps one commit in flight per partition and coalesces the offsets handled meanwhile into the newest', async () => {
    const { calls, commit } = controlledCommits();
    const committer = new OffsetCommitter(commit, () => undefined);
    committer.handled(0, '1');
    committer.handled(0, '2');
    committer.handled(0, '3');
    committer.handled(1, '7'); // another partition does not wait for partition 0
    expect(calls.map((c) => [c.partition, c.offset])).toEqual([
      [0, '1'],
      [1, '7'],
    ]);
    calls[0]!.settle();
    await tick();
    expect(calls.map((c) => [c.partition, c.offset])).toEqual([
      [0, '1'],
      [1, '7'],
      [0, '3'],
    ]);
    calls[1]!.settle();
    calls[2]!.settle();
    await committer.flush();
    expect(calls).toHaveLength(3);
  });

  it('reports a failed commit and goes on with the next handled offset', async () => {
    const { calls, commit } = controlledCommits();
    const failures: [number, string, string][] = [];
    const committer = new OffsetCommitter(commit, (partition, offset, error) =>
      failures.push([partition, offset, String(error)]),
    );
    committer.handled(2, '5');
    committer.handled(2, '6');
    calls[0]!.settle(new Error('REBALANCE_IN_PROGRESS'));
    await tick();
    expect(failures).toEqual([[2, '5', 'Error: REBALANCE_IN_PROGRESS']]);
    expect(calls.map((c) => c.offset)).toEqual(['5', '6']);
    calls[1]!.settle();
    await committer.flush();
    committer.handled(2, '7'); // a partition whose commits all settled starts a new one at once
    expect(calls.map((c) => c.offset)).toEqual(['5', '6', '7']);
  });

  it('flush resolves only once every offset handled so far is committed', async () => {
    const { calls, commit } = controlledCommits();
    const committer = new OffsetCommitter(commit, () => undefined);
    committer.handled(0, '1');
    committer.handled(0, '2');
    let flushed = false;
    const flushing = committer.flush().then(() => {
      flushed = true;
    });
    calls[0]!.settle();
    await tick();
    expect(flushed).toBe(false); // '2' is in flight now
    calls[1]!.settle();
    await flushing;
    expect(calls.map((c) => c.offset)).toEqual(['1', '2']);
  });
});
