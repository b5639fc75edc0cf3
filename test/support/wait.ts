/**
 * The one polling helper of the tests (unit and integration): wait for a condition that only becomes true
 * asynchronously, failing with what was awaited rather than a bare test timeout. Packages reach it through
 * `@switchboard/bus/conformance` (its `waitFor`/`sleep` are these).
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` (sync or async) every `everyMs` until it returns a truthy value, and resolves with it;
 * throws "timed out after … waiting for <what>" after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
