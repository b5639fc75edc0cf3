/**
 * Commits handled offsets without holding up the next message of the partition. Awaiting each commit made
 * every work message cost two broker round trips (the handler's own publish, then the offset commit), and
 * a hot key — one chat room — is handled one message at a time, so its rate was bounded by both.
 *
 * Per partition, at most one commit is in flight; offsets handled meanwhile are coalesced, and the next
 * commit carries the newest one (committing offset N covers everything before it). Only handled offsets
 * are ever committed, so delivery stays at least once: a crash loses at most the commits not yet made, and
 * the partition's next owner handles those messages again. A failed commit (a rebalance, the broker going
 * away) is reported and dropped; the next handled offset supersedes it.
 */

export type CommitFn = (partition: number, offset: string) => Promise<void>;

interface PartitionState {
  /** The newest handled offset not yet sent in a commit. */
  pending: string | undefined;
  /** The commit in flight, if any. */
  inFlight: Promise<void> | undefined;
}

export class OffsetCommitter {
  readonly #commit: CommitFn;
  readonly #onError: (partition: number, offset: string, error: unknown) => void;
  readonly #partitions = new Map<number, PartitionState>();

  constructor(commit: CommitFn, onError: (partition: number, offset: string, error: unknown) => void) {
    this.#commit = commit;
    this.#onError = onError;
  }

  /** Records that the message at `offset` was handled; commits it now or with the partition's next commit. */
  handled(partition: number, offset: string): void {
    let state = this.#partitions.get(partition);
    if (!state) {
      state = { pending: undefined, inFlight: undefined };
      this.#partitions.set(partition, state);
    }
    state.pending = offset;
    if (!state.inFlight) state.inFlight = this.#drain(partition, state);
  }

  /** Resolves once every offset handled so far has been committed (or its commit failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.#partitions.values()].map((state) => state.inFlight));
  }

  async #drain(partition: number, state: PartitionState): Promise<void> {
    while (state.pending !== undefined) {
      const offset = state.pending;
      state.pending = undefined;
      try {
        await this.#commit(partition, offset);
      } catch (error) {
        this.#onError(partition, offset, error);
      }
    }
    state.inFlight = undefined;
  }
}
