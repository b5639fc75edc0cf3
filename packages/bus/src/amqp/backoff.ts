/** Full-jitter exponential backoff (AWS architecture blog): uniform in [0, min(cap, base * 2^attempt)). */
export function fullJitter(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Capped exponential delay without jitter (in-process handler retries). attempt is 1-based. */
export function cappedExponential(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}
