import type { Emitter } from '../emitter.js';

/** Resolves with the next `event` whose payload matches `predicate`. */
export function nextEvent<E extends object, K extends keyof E>(
  emitter: Emitter<E>,
  event: K,
  predicate: (payload: E[K]) => boolean = () => true,
): Promise<E[K]> {
  return new Promise((resolve) => {
    const off = emitter.on(event, (payload) => {
      if (!predicate(payload)) return;
      off();
      resolve(payload);
    });
  });
}

/** Collects every `event` payload into an array. */
export function collect<E extends object, K extends keyof E>(emitter: Emitter<E>, event: K): E[K][] {
  const out: E[K][] = [];
  emitter.on(event, (payload) => out.push(payload));
  return out;
}

/** Polls `condition` every few ms until true. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
