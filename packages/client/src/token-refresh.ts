/**
 * Proactive token refresh: when Connected carries the token's expiry, a fresh token is sent on the
 * live connection (RefreshToken) shortly before it, so the server need not close the socket.
 *
 * Expiry is server time compared with the local clock. To stay safe from skew and from tokens that do
 * not get any newer, the refresh waits at least a second, and is only scheduled again when the
 * server moved the expiry forward; otherwise the reactive path (close 3501, `getToken({ expired: true })`,
 * reconnect) takes over. A failed refresh is retried at half the remaining time while that is long enough.
 */

/** setTimeout fires at once for delays past 2^31 - 1 ms: longer waits are done in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MIN_DELAY_MS = 1_000;

export interface TokenRefreshHooks {
  /** Gets a token and sends it; resolves with the new expiry (0 = none). */
  refresh(): Promise<number>;
  onError(error: unknown): void;
}

export class TokenRefresh {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;

  constructor(
    private readonly beforeExpiryMs: number,
    private readonly hooks: TokenRefreshHooks,
  ) {}

  /** Plans the refresh for a token expiring at `expiresAtMs` (0 = never); replaces any earlier plan. */
  schedule(expiresAtMs: number): void {
    this.cancel();
    if (expiresAtMs > 0) this.#wait(expiresAtMs, refreshDelay(expiresAtMs - Date.now(), this.beforeExpiryMs));
  }

  cancel(): void {
    this.#generation += 1;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #wait(expiresAtMs: number, delayMs: number): void {
    const generation = this.#generation;
    const step = Math.min(delayMs, MAX_TIMER_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (generation !== this.#generation) return;
      if (step < delayMs) this.#wait(expiresAtMs, delayMs - step);
      else void this.#run(expiresAtMs, generation);
    }, step);
  }

  async #run(expiresAtMs: number, generation: number): Promise<void> {
    let next: number;
    try {
      next = await this.hooks.refresh();
    } catch (error) {
      if (generation !== this.#generation) return;
      this.hooks.onError(error);
      const remaining = expiresAtMs - Date.now();
      if (remaining >= 2 * MIN_DELAY_MS) this.#wait(expiresAtMs, remaining / 2);
      return;
    }
    if (generation !== this.#generation) return;
    if (next > expiresAtMs) this.schedule(next);
  }
}

/** Wait `beforeExpiryMs` less than the remaining time, but no less than half of it, nor than a second. */
export function refreshDelay(remainingMs: number, beforeExpiryMs: number): number {
  return Math.max(MIN_DELAY_MS, remainingMs - Math.min(beforeExpiryMs, remainingMs / 2));
}
