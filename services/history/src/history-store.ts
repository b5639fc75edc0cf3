/**
 * Where the history service keeps durable channel publications. One writer per channel (the service
 * consumes its topic ordered by key = channel), so implementations need no cross-instance locking for
 * `append`.
 *
 * Positions: every channel has an `epoch` (a random id chosen when its history starts) and offsets that
 * start at 1 and grow by 1 per publication. A client position from another epoch is meaningless: the
 * history was lost or reset in between. Retention keeps at most `maxPerChannel` publications and
 * `maxChannelBytes` bytes per channel and none older than `ttlMs`; the top offset and epoch outlive the
 * publications they number.
 *
 * Channels themselves are bounded too (`maxChannels`, and for the in-memory store `maxTotalBytes`): when a
 * bound is reached the least recently published channel is evicted whole — epoch, top and publications.
 * Its next use starts a new epoch, so a client resuming with the evicted epoch gets recovered=false rather
 * than a silent hole. Channels that were opened (subscribed) but never published go first.
 */
import type { switchboard } from '@switchboard/protocol';

export type Publication = switchboard.v1.IPublication;

export interface Position {
  readonly offset: number;
  readonly epoch: string;
}

/** Publications after a position, oldest first, and the channel's current top. */
export interface Recovery {
  readonly publications: Publication[];
  readonly position: Position;
}

/** A page of history, oldest first, and the channel's current top. */
export interface HistoryPage {
  readonly publications: Publication[];
  readonly position: Position;
}

export interface Retention {
  /** Publications kept per channel (the newest ones). */
  readonly maxPerChannel: number;
  /** Publications older than this (by store time) are dropped. */
  readonly ttlMs: number;
  /**
   * Bytes of publications kept per channel (the newest ones; a single publication larger than this gets its
   * offset but is not kept). Default DEFAULT_BOUNDS.maxChannelBytes.
   */
  readonly maxChannelBytes?: number;
  /** Channels kept; past it the least recently published is evicted. Default DEFAULT_BOUNDS.maxChannels. */
  readonly maxChannels?: number;
}

/** Safe defaults of the channel bounds (what HISTORY_MAX_* default to). */
export const DEFAULT_BOUNDS = {
  maxChannels: 10_000,
  maxChannelBytes: 1024 * 1024,
  /** In-memory store only: every channel's publications and bookkeeping together. */
  maxTotalBytes: 128 * 1024 * 1024,
} as const;

/** Why a channel was evicted: too many channels, or (in-memory store) too many bytes in total. */
export type EvictionReason = 'channels' | 'bytes';

/** What the store holds, for the service's metrics. */
export interface HistoryStoreStats {
  /** Channels with an epoch (opened or published) that the store tracks. */
  readonly channels: number;
  /** Bytes the store accounts for (in-memory store); undefined when the store does not count them. */
  readonly bytes: number | undefined;
  /** Channels this store instance evicted since it started, by reason. */
  readonly evictions: Readonly<Record<EvictionReason, number>>;
}

export interface HistoryStore {
  /**
   * Stores the publication with the next offset of the channel; returns that offset and the epoch.
   * With a `publishId` (unique per publication, the same on every redelivery of it): while a publication
   * appended with that id is still kept, appending the id again stores nothing and returns that
   * publication's position, so an at-least-once redelivery never gets a second offset.
   */
  append(channel: string, publication: Publication, publishId?: string): Promise<Position>;
  /**
   * The publications after `offset` in `epoch`, oldest first, at most `limit` (default: all kept) — or 'gap'
   * when some of them are no longer kept, the epoch is not the channel's, or the offset is beyond the
   * channel's top. `epoch` '' with `offset` 0 means "from the start of the current epoch" (a client that
   * never had a position); with any other offset '' is a gap. A result cut by `limit` ends before the top:
   * callers check coverage (see `coversSince`).
   */
  since(channel: string, offset: number, epoch: string, limit?: number): Promise<Recovery | 'gap'>;
  /** Up to `limit` newest publications with an offset below `beforeOffset` (0 = newest), oldest first. */
  latest(channel: string, limit: number, beforeOffset?: number): Promise<HistoryPage>;
  /** The channel's top: the last offset given and the epoch; offset 0 and epoch '' for an unknown channel. */
  position(channel: string): Promise<Position>;
  /**
   * The channel's top, giving a channel without history its epoch first ({0, epoch}), so that a subscriber
   * of an empty channel gets a position it can resume from. Does not count as a publication for eviction.
   */
  open(channel: string): Promise<Position>;
  stats(): Promise<HistoryStoreStats>;
  close(): Promise<void>;
}

/** Offsets arrive from protobuf as number (or Long-like); the store works with safe integers. */
export function toOffset(value: number | { toNumber(): number } | null | undefined): number {
  if (value == null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
