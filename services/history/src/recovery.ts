/**
 * What a Subscribe with `since` gets back (issues 14 and 18).
 *
 * `recovered: true` only when the answer really covers what it claims: its publications are exactly offsets
 * since+1 … position, consecutive, oldest first, all in the top's epoch. When every publication since `since`
 * is still kept but they do not fit one answer (the publication and byte limits keep one answer well below
 * the brokers' message limits — Kafka's is 1 MB), the answer is a page: the oldest ones that fit, `position`
 * at the last of them, and `continues` set — the edge then tells the client to subscribe again with `since`
 * = position for the next page (Unsubscribed 2500, which every client already handles). So a client that
 * fell far behind during a broker outage gets every message history still has, page by page, instead of
 * `recovered: false` (the Kafka outage drill: ~2,000 messages behind after a 15 s outage at 50/s).
 * Anything else — a position beyond the top or before the oldest kept publication, another epoch, an entry
 * trimmed meanwhile, one publication larger than the byte limit — is recovered=false with no publications
 * and the current top, so the client knows it must reload instead of believing it has the whole stream.
 *
 * `since {0, ""}` (a client that never had a position, e.g. subscribed to an empty channel before epochs
 * were handed out at subscribe) means "from the start of the current epoch": recovered only when every
 * publication since offset 1 is still kept. On a channel without history it gets the channel's new epoch
 * and recovered=true with nothing to replay. Any other offset with an empty epoch is a gap.
 */
import { switchboard } from '@switchboard/protocol';
import {
  type HistoryStore,
  type Position,
  type Publication,
  type Recovery,
  toOffset,
} from './history-store.js';

const v1 = switchboard.v1;

export interface RecoveryLimits {
  /** Publications in one answer; a client further behind gets the recovery in pages. */
  readonly maxRecoveryPublications: number;
  /** Encoded bytes of the publications in one answer; a client further behind gets it in pages. */
  readonly maxRecoveryBytes: number;
}

/**
 * Safe defaults (what HISTORY_MAX_RECOVERY_* default to): one answer stays well below every broker's message
 * limit (Kafka's default is 1 MB); a longer recovery comes in pages.
 */
export const DEFAULT_RECOVERY_LIMITS: RecoveryLimits = {
  maxRecoveryPublications: 1000,
  maxRecoveryBytes: 512 * 1024,
};

export interface RecoveryAnswer {
  readonly recovered: boolean;
  /** The stream top — or, when `continues`, the offset of the page's last publication. */
  readonly position: Position;
  readonly publications: Publication[];
  /** A page of a longer recovery: ask again with `since` = position for the rest. */
  readonly continues: boolean;
}

/** True when the recovery holds exactly offsets since+1 … top of the top's epoch, in order. */
export function coversSince(since: number, recovery: Recovery): boolean {
  const { publications, position } = recovery;
  if (position.epoch === '' || !Number.isSafeInteger(since) || since < 0 || since > position.offset)
    return false;
  if (publications.length !== position.offset - since) return false;
  return publications.every(
    (publication, i) =>
      toOffset(publication.offset) === since + 1 + i && publication.epoch === position.epoch,
  );
}

/** How many of `publications`, from the first, fit `maxBytes` encoded. */
function countWithinBytes(publications: readonly Publication[], maxBytes: number): number {
  let bytes = 0;
  for (let i = 0; i < publications.length; i++) {
    bytes += v1.Publication.encode(publications[i] as Publication).finish().byteLength;
    if (bytes > maxBytes) return i;
  }
  return publications.length;
}

export async function recoverSince(
  store: HistoryStore,
  channel: string,
  since: number,
  epoch: string,
  limits: RecoveryLimits,
): Promise<RecoveryAnswer> {
  let recovery = await store.since(channel, since, epoch, limits.maxRecoveryPublications);
  if (recovery === 'gap' && since === 0 && epoch === '') {
    await store.open(channel);
    recovery = await store.since(channel, since, epoch, limits.maxRecoveryPublications);
  }
  if (recovery !== 'gap') {
    const { publications, position: top } = recovery;
    const fit = countWithinBytes(publications, limits.maxRecoveryBytes);
    if (fit === publications.length && coversSince(since, recovery))
      return { recovered: true, position: top, publications: [...publications], continues: false };
    // A page: the oldest `fit` publications, if they lead on from `since` without a hole.
    const page = publications.slice(0, fit);
    const last = page.at(-1);
    const pagePosition = last ? { offset: toOffset(last.offset), epoch: top.epoch } : undefined;
    if (
      pagePosition &&
      pagePosition.offset < top.offset &&
      coversSince(since, { publications: page, position: pagePosition })
    )
      return { recovered: true, position: pagePosition, publications: page, continues: true };
  }
  // Not recovered: the current top, with an epoch even for a channel without history (resumable later).
  const position = recovery !== 'gap' ? recovery.position : await store.open(channel);
  return { recovered: false, position, publications: [], continues: false };
}
