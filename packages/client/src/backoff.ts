/** Full-jitter exponential backoff (AWS architecture blog): delay = random in [0, min(max, min * 2^attempt)]. */
export interface BackoffOptions {
  /** Base delay of the first retry, in ms. */
  minDelayMs: number;
  /** Cap of the delay ceiling, in ms. */
  maxDelayMs: number;
}

const MAX_EXPONENT = 30;

/** The upper bound of the delay for the given attempt (0-based). */
export function backoffCeiling(attempt: number, { minDelayMs, maxDelayMs }: BackoffOptions): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), MAX_EXPONENT);
  return Math.max(0, Math.min(maxDelayMs, minDelayMs * 2 ** exponent));
}

/** A delay uniformly drawn from the integers in [0, backoffCeiling(attempt)]. */
export function fullJitterDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, options);
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}

/** Counts attempts; `next()` returns the delay before the next one, `reset()` after a success. */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  get attempt(): number {
    return this.#attempt;
  }

  next(): number {
    const delay = fullJitterDelay(this.#attempt, this.options, this.random);
    if (this.#attempt < MAX_EXPONENT) this.#attempt += 1;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
