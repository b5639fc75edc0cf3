/**
 * A failover test's own time budget, shorter than vitest's timeout for it. When vitest times a test out, it
 * says only "Test timed out in 120000ms": not which step hung, nor what the services were saying. Twice a CI
 * run failed that way with nothing else to go on. Here the test names its steps as it goes; when the
 * budget runs out, the error names the step it was in, how long each earlier step took, the step's progress
 * (counters the test exposes), and the last log lines of every process of the topologies still up. A
 * test that fails on its own (an assertion, a bounded wait) gets the same step report and log lines added.
 */
import { it } from 'vitest';
import { Topology } from './harness.js';

/** A vitest test run {@link withinBudget}; vitest's own timeout leaves room for the report to be printed. */
export function itWithinBudget(name: string, budgetMs: number, body: (steps: Steps) => Promise<void>): void {
  it(name, () => withinBudget(budgetMs, body), budgetMs + 15_000);
}

/** The budget ran out: its message already carries the steps' report and the log lines. */
class BudgetSpentError extends Error {
  override readonly name = 'BudgetSpentError';
}

export class Steps {
  #current = 'setup (topology up)';
  #since = Date.now();
  #progress: (() => unknown) | undefined;
  readonly #done: string[] = [];

  /** Enters the next step; `progress` is called only for the report, to show how far the step got. */
  step(what: string, progress?: () => unknown): void {
    const now = Date.now();
    this.#done.push(`${this.#current} ${seconds(now - this.#since)}`);
    this.#current = what;
    this.#since = now;
    this.#progress = progress;
  }

  report(): string {
    let progress = '';
    try {
      progress = this.#progress ? `; progress: ${JSON.stringify(this.#progress())}` : '';
    } catch (error) {
      progress = `; progress unavailable: ${String(error)}`;
    }
    return (
      `in "${this.#current}" for ${seconds(Date.now() - this.#since)}${progress}; ` +
      `steps before it: ${this.#done.join(', ')}`
    );
  }
}

/**
 * Runs `body` and rejects with the steps' report and the services' last log lines once `budgetMs` is spent.
 * An error of the body's own is rethrown with the same report and log lines added to its message.
 */
export async function withinBudget(budgetMs: number, body: (steps: Steps) => Promise<void>): Promise<void> {
  const steps = new Steps();
  let timer: NodeJS.Timeout | undefined;
  const spent = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BudgetSpentError(
            `failover test budget of ${seconds(budgetMs)} spent, still ${steps.report()}\n` +
              `last log lines (the services log at warn):\n${Topology.recentLogTails()}`,
          ),
        ),
      budgetMs,
    );
  });
  try {
    await Promise.race([body(steps), spent]);
  } catch (error) {
    // The same object (an assertion keeps its expected/actual diff), with where it failed and what the
    // services said; the topology is down by now, its last lines were kept when it went down.
    if (error instanceof Error && !(error instanceof BudgetSpentError)) {
      error.message +=
        `\n[failover] failed ${steps.report()}\n` +
        `last log lines (the services log at warn):\n${Topology.recentLogTails()}`;
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
