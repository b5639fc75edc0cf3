/**
 * In-memory HistoryStore: the embedded default. Each channel keeps its epoch (random, created at the first
 * append), its top offset and a window of its newest publications; retention is applied on every access.
 */
import { randomUUID } from 'node:crypto';
import type {
  HistoryPage,
  HistoryStore,
  Position,
  Publication,
  Recovery,
  Retention,
} from './history-store.js';

interface Entry {
  readonly offset: number;
  readonly storedAtMs: number;
  readonly publishId: string | undefined;
  readonly publication: Publication;
}

interface ChannelState {
  readonly epoch: string;
  top: number;
  /** Ascending offsets, contiguous, ending at `top` (empty once everything expired). */
  entries: Entry[];
  /** Publish id -> offset, for the kept entries appended with an id. */
  readonly ids: Map<string, number>;
}

export interface MemoryHistoryStoreOptions extends Retention {
  /** Clock for store times and expiry. Default Date.now. */
  readonly now?: () => number;
  /** Epoch generator. Default crypto.randomUUID. */
  readonly newEpoch?: () => string;
}

export class MemoryHistoryStore implements HistoryStore {
  readonly #channels = new Map<string, ChannelState>();
  readonly #retention: Retention;
  readonly #now: () => number;
  readonly #newEpoch: () => string;

  constructor(options: MemoryHistoryStoreOptions) {
    if (!Number.isInteger(options.maxPerChannel) || options.maxPerChannel < 1)
      throw new RangeError(`maxPerChannel ${options.maxPerChannel} must be an integer >= 1`);
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs ${options.ttlMs} must be > 0`);
    this.#retention = { maxPerChannel: options.maxPerChannel, ttlMs: options.ttlMs };
    this.#now = options.now ?? Date.now;
    this.#newEpoch = options.newEpoch ?? (() => randomUUID());
  }

  async append(channel: string, publication: Publication, publishId?: string): Promise<Position> {
    let state = this.#state(channel);
    if (!state) {
      state = { epoch: this.#newEpoch(), top: 0, entries: [], ids: new Map() };
      this.#channels.set(channel, state);
    }
    const known = publishId ? state.ids.get(publishId) : undefined;
    if (known !== undefined) return { offset: known, epoch: state.epoch };
    const offset = state.top + 1;
    state.top = offset;
    if (publishId) state.ids.set(publishId, offset);
    state.entries.push({
      offset,
      storedAtMs: this.#now(),
      publishId: publishId || undefined,
      publication: { ...publication, channel, offset, epoch: state.epoch },
    });
    this.#prune(state);
    return { offset, epoch: state.epoch };
  }

  async since(channel: string, offset: number, epoch: string): Promise<Recovery | 'gap'> {
    const state = this.#state(channel);
    if (!state || state.epoch !== epoch || offset > state.top || offset < 0) return 'gap';
    const oldest = state.entries[0]?.offset ?? state.top + 1;
    if (offset + 1 < oldest) return 'gap';
    return {
      publications: state.entries.filter((e) => e.offset > offset).map((e) => e.publication),
      position: { offset: state.top, epoch: state.epoch },
    };
  }

  async latest(channel: string, limit: number, beforeOffset = 0): Promise<HistoryPage> {
    const state = this.#state(channel);
    if (!state) return { publications: [], position: { offset: 0, epoch: '' } };
    const eligible = beforeOffset > 0 ? state.entries.filter((e) => e.offset < beforeOffset) : state.entries;
    const count = Math.max(0, Math.min(limit, eligible.length));
    return {
      publications: eligible.slice(eligible.length - count).map((e) => e.publication),
      position: { offset: state.top, epoch: state.epoch },
    };
  }

  async position(channel: string): Promise<Position> {
    const state = this.#state(channel);
    return state ? { offset: state.top, epoch: state.epoch } : { offset: 0, epoch: '' };
  }

  async close(): Promise<void> {
    this.#channels.clear();
  }

  #state(channel: string): ChannelState | undefined {
    const state = this.#channels.get(channel);
    if (state) this.#prune(state);
    return state;
  }

  #prune(state: ChannelState): void {
    const cutoff = this.#now() - this.#retention.ttlMs;
    let drop = Math.max(0, state.entries.length - this.#retention.maxPerChannel);
    while (drop < state.entries.length && state.entries[drop]!.storedAtMs <= cutoff) drop++;
    if (drop === 0) return;
    for (const entry of state.entries.slice(0, drop)) if (entry.publishId) state.ids.delete(entry.publishId);
    state.entries = state.entries.slice(drop);
  }
}
