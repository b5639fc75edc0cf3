/**
 * In-memory HistoryStore: the embedded default. Each channel keeps its epoch (random, created at its first
 * append or open), its top offset and a window of its newest publications; per-channel retention (count,
 * bytes, TTL) is applied on every access of the channel.
 *
 * Bounds on the whole store (issue 13): at most `maxChannels` channels and `maxTotalBytes` bytes. Bytes are
 * an estimate of the heap a channel costs: each kept publication's Protobuf size plus its publish id and a
 * fixed overhead, and per channel its name, its epoch and a fixed overhead. When a bound is reached, whole
 * channels are evicted: first those opened but never published (oldest first), then the least recently
 * published. The channel being appended to is never evicted for its own append; if it alone still exceeds
 * the total, its oldest publications go.
 */
import { randomUUID } from 'node:crypto';
import { switchboard } from '@switchboard/protocol';
import {
  DEFAULT_BOUNDS,
  type EvictionReason,
  type HistoryPage,
  type HistoryStore,
  type HistoryStoreStats,
  type Position,
  type Publication,
  type Recovery,
  type Retention,
} from './history-store.js';

const v1 = switchboard.v1;

/** What a kept publication costs beyond its encoded bytes: the entry object, its array slot, its id entry. */
const ENTRY_OVERHEAD_BYTES = 96;
/** What a channel costs beyond its name and epoch: the state object, its array and id map. */
const CHANNEL_OVERHEAD_BYTES = 256;

interface Entry {
  readonly offset: number;
  readonly storedAtMs: number;
  readonly publishId: string | undefined;
  readonly publication: Publication;
  readonly bytes: number;
}

interface ChannelState {
  readonly epoch: string;
  top: number;
  /** Ascending offsets, contiguous, ending at `top` (empty once everything expired or was trimmed). */
  entries: Entry[];
  /** Publish id -> offset, for the kept entries appended with an id. */
  readonly ids: Map<string, number>;
  /** Bytes of the kept entries. */
  entryBytes: number;
  /** Bytes of the channel's own bookkeeping. */
  readonly baseBytes: number;
}

export interface MemoryHistoryStoreOptions extends Retention {
  /** Bytes of all channels together (see the file comment). Default DEFAULT_BOUNDS.maxTotalBytes. */
  readonly maxTotalBytes?: number;
  /** Clock for store times and expiry. Default Date.now. */
  readonly now?: () => number;
  /** Epoch generator. Default crypto.randomUUID. */
  readonly newEpoch?: () => string;
}

interface Limits {
  readonly maxPerChannel: number;
  readonly ttlMs: number;
  readonly maxChannelBytes: number;
  readonly maxChannels: number;
  readonly maxTotalBytes: number;
}

function checkedLimits(options: MemoryHistoryStoreOptions): Limits {
  const limits: Limits = {
    maxPerChannel: options.maxPerChannel,
    ttlMs: options.ttlMs,
    maxChannelBytes: options.maxChannelBytes ?? DEFAULT_BOUNDS.maxChannelBytes,
    maxChannels: options.maxChannels ?? DEFAULT_BOUNDS.maxChannels,
    maxTotalBytes: options.maxTotalBytes ?? DEFAULT_BOUNDS.maxTotalBytes,
  };
  for (const name of ['maxPerChannel', 'maxChannelBytes', 'maxChannels', 'maxTotalBytes'] as const)
    if (!Number.isSafeInteger(limits[name]) || limits[name] < 1)
      throw new RangeError(`${name} ${limits[name]} must be an integer >= 1`);
  if (!(limits.ttlMs > 0)) throw new RangeError(`ttlMs ${limits.ttlMs} must be > 0`);
  if (limits.maxTotalBytes < limits.maxChannelBytes)
    throw new RangeError(
      `maxTotalBytes ${limits.maxTotalBytes} is below maxChannelBytes ${limits.maxChannelBytes}: raise maxTotalBytes or lower maxChannelBytes`,
    );
  return limits;
}

export class MemoryHistoryStore implements HistoryStore {
  /** Channels published to, least recently published first (an append moves its channel to the end). */
  readonly #published = new Map<string, ChannelState>();
  /** Channels opened by a subscriber but never published, oldest first: evicted before published ones. */
  readonly #opened = new Map<string, ChannelState>();
  readonly #limits: Limits;
  readonly #now: () => number;
  readonly #newEpoch: () => string;
  readonly #evictions: Record<EvictionReason, number> = { channels: 0, bytes: 0 };
  #bytes = 0;

  constructor(options: MemoryHistoryStoreOptions) {
    this.#limits = checkedLimits(options);
    this.#now = options.now ?? Date.now;
    this.#newEpoch = options.newEpoch ?? (() => randomUUID());
  }

  async append(channel: string, publication: Publication, publishId?: string): Promise<Position> {
    const state = this.#state(channel) ?? this.#create(channel);
    const known = publishId ? state.ids.get(publishId) : undefined;
    if (known !== undefined) return { offset: known, epoch: state.epoch };
    // Least recently published first: re-inserting puts the channel at the end of the eviction order.
    this.#opened.delete(channel);
    this.#published.delete(channel);
    this.#published.set(channel, state);
    const offset = state.top + 1;
    state.top = offset;
    const stored = { ...publication, channel, offset, epoch: state.epoch };
    const bytes =
      v1.Publication.encode(stored).finish().byteLength + (publishId?.length ?? 0) + ENTRY_OVERHEAD_BYTES;
    if (publishId) state.ids.set(publishId, offset);
    state.entries.push({
      offset,
      storedAtMs: this.#now(),
      publishId: publishId || undefined,
      publication: stored,
      bytes,
    });
    state.entryBytes += bytes;
    this.#bytes += bytes;
    this.#prune(state);
    this.#fitTotal(channel, state);
    return { offset, epoch: state.epoch };
  }

  async since(channel: string, offset: number, epoch: string, limit?: number): Promise<Recovery | 'gap'> {
    const state = this.#state(channel);
    if (!state || !Number.isSafeInteger(offset) || offset < 0 || offset > state.top) return 'gap';
    const wanted = epoch === '' && offset === 0 ? state.epoch : epoch;
    if (state.epoch !== wanted) return 'gap';
    const oldest = state.entries[0]?.offset ?? state.top + 1;
    if (offset + 1 < oldest) return 'gap';
    // Entries are contiguous from `oldest`, so the one after `offset` sits at index offset + 1 - oldest.
    const start = offset + 1 - oldest;
    const end = limit === undefined ? state.entries.length : start + Math.max(0, Math.floor(limit));
    return {
      publications: state.entries.slice(start, end).map((e) => e.publication),
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

  async open(channel: string): Promise<Position> {
    let state = this.#state(channel);
    if (!state) {
      state = this.#create(channel);
      this.#fitTotal(channel, state);
    }
    return { offset: state.top, epoch: state.epoch };
  }

  async stats(): Promise<HistoryStoreStats> {
    return {
      channels: this.#published.size + this.#opened.size,
      bytes: this.#bytes,
      evictions: { ...this.#evictions },
    };
  }

  async close(): Promise<void> {
    this.#published.clear();
    this.#opened.clear();
    this.#bytes = 0;
  }

  #state(channel: string): ChannelState | undefined {
    const state = this.#published.get(channel) ?? this.#opened.get(channel);
    if (state) this.#prune(state);
    return state;
  }

  /** A new channel with a new epoch (listed as opened until its first append), after making room for it. */
  #create(channel: string): ChannelState {
    while (this.#published.size + this.#opened.size >= this.#limits.maxChannels)
      if (!this.#evictOldest('channels', channel)) break;
    const epoch = this.#newEpoch();
    const state: ChannelState = {
      epoch,
      top: 0,
      entries: [],
      ids: new Map(),
      entryBytes: 0,
      baseBytes: CHANNEL_OVERHEAD_BYTES + 2 * (channel.length + epoch.length),
    };
    this.#opened.set(channel, state);
    this.#bytes += state.baseBytes;
    return state;
  }

  /** Evicts other channels until the total fits; then, if `channel` alone is too big, its oldest entries. */
  #fitTotal(channel: string, state: ChannelState): void {
    while (this.#bytes > this.#limits.maxTotalBytes) if (!this.#evictOldest('bytes', channel)) break;
    let drop = 0;
    let excess = this.#bytes - this.#limits.maxTotalBytes;
    while (excess > 0 && drop < state.entries.length) excess -= state.entries[drop++]!.bytes;
    this.#dropHead(state, drop);
  }

  /** Evicts the idlest channel other than `keep`; false when there is none. */
  #evictOldest(reason: EvictionReason, keep: string): boolean {
    for (const channels of [this.#opened, this.#published])
      for (const [name, state] of channels) {
        if (name === keep) continue;
        channels.delete(name);
        this.#bytes -= state.baseBytes + state.entryBytes;
        this.#evictions[reason]++;
        return true;
      }
    return false;
  }

  /** Drops what per-channel retention no longer keeps: past maxPerChannel, expired, past maxChannelBytes. */
  #prune(state: ChannelState): void {
    const { entries } = state;
    const cutoff = this.#now() - this.#limits.ttlMs;
    let drop = Math.max(0, entries.length - this.#limits.maxPerChannel);
    let bytes = state.entryBytes;
    for (let i = 0; i < drop; i++) bytes -= entries[i]!.bytes;
    while (
      drop < entries.length &&
      (entries[drop]!.storedAtMs <= cutoff || bytes > this.#limits.maxChannelBytes)
    ) {
      bytes -= entries[drop]!.bytes;
      drop++;
    }
    this.#dropHead(state, drop);
  }

  #dropHead(state: ChannelState, count: number): void {
    if (count <= 0) return;
    const dropped = state.entries.slice(0, count);
    state.entries = state.entries.slice(count);
    for (const entry of dropped) {
      if (entry.publishId) state.ids.delete(entry.publishId);
      state.entryBytes -= entry.bytes;
      this.#bytes -= entry.bytes;
    }
  }
}
