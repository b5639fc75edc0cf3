/** A minimal observable store: one immutable state object, shallow patches, synchronous listeners. */
export type StoreListener<S> = (state: S, previous: S) => void;

export class Store<S extends object> {
  #state: S;
  readonly #listeners = new Set<StoreListener<S>>();

  constructor(initial: S) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  /** Applies a shallow patch (or a function of the current state returning one) and notifies listeners. */
  update(patch: Partial<S> | ((state: S) => Partial<S>)): void {
    const previous = this.#state;
    const delta = typeof patch === 'function' ? patch(previous) : patch;
    this.#state = { ...previous, ...delta };
    for (const listener of [...this.#listeners]) listener(this.#state, previous);
  }

  /** Adds a listener and calls it once with the current state; returns a function that removes it. */
  subscribe(listener: StoreListener<S>): () => void {
    this.#listeners.add(listener);
    listener(this.#state, this.#state);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
