import { describe, expect, it } from 'vitest';
import { withinBudget } from './budget.js';

describe('withinBudget', () => {
  it('resolves with the body when the body finishes in time', async () => {
    let ran = false;
    await withinBudget(5_000, async (steps) => {
      steps.step('quick step');
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('rejects with the step it was stuck in, its progress and the steps before it', async () => {
    let counter = 0;
    const error = await withinBudget(200, async (steps) => {
      steps.step('first step');
      counter = 7;
      steps.step('a step that never ends', () => ({ counter }));
      await new Promise(() => undefined);
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(
      /^failover test budget of 0\.2 s spent, still in "a step that never ends"/,
    );
    expect(error?.message).toContain('progress: {"counter":7}');
    expect(error?.message).toMatch(/steps before it: setup \(topology up\) \d+\.\d s, first step \d+\.\d s/);
    expect(error?.message).toContain('(no topology was up)');
  });

  it('rethrows the body’s own error, the same object, with the step it failed in added to its message', async () => {
    const failure = new Error('assertion inside');
    const thrown = await withinBudget(5_000, async (steps) => {
      steps.step('checking', () => ({ seen: 3 }));
      throw failure;
    }).catch((e: unknown) => e);
    expect(thrown).toBe(failure);
    expect(failure.message).toMatch(
      /^assertion inside\n\[failover\] failed in "checking" for \d+\.\d s; progress: \{"seen":3\}/,
    );
  });
});
