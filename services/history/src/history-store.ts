/**
 * Where the history service keeps durable channel publications. One writer per channel (the service
 * consumes its topic ordered by key = channel), so implementations need no cross-instance locking for
 * `append`.
 *
 * Positions: every channel has an `epoch` (a random id chosen when its history starts) and offsets that
 * start at 1 and grow by 1 per publication. A client position from another epoch is meaningless: the
 * history was lost or reset in between. Retention keeps at most `maxPerChannel` publications per channel
 * and none older than `ttlMs`; the top offset and epoch outlive the publications they number.
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
   * Every publication after `offset` in `epoch`, oldest first — or 'gap' when some of them are no longer
   * kept, the epoch is not the channel's, or the offset is beyond the channel's top.
   */
  since(channel: string, offset: number, epoch: string): Promise<Recovery | 'gap'>;
  /** Up to `limit` newest publications with an offset below `beforeOffset` (0 = newest), oldest first. */
  latest(channel: string, limit: number, beforeOffset?: number): Promise<HistoryPage>;
  /** The channel's top: the last offset given and the epoch; offset 0 and epoch '' for an unknown channel. */
  position(channel: string): Promise<Position>;
  close(): Promise<void>;
}

/** Offsets arrive from protobuf as number (or Long-like); the store works with safe integers. */
export function toOffset(value: number | { toNumber(): number } | null | undefined): number {
  if (value == null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
