/**
 * What a Subscribe with `since` gets back (issues 14 and 18).
 *
 * `recovered: true` only when the answer really covers the gap: its publications are exactly offsets
 * since+1 … top, consecutive, oldest first, all in the top's epoch, and within the answer's limits. Anything
 * less — a position beyond the top or before the oldest kept publication, another epoch, a range cut by a
 * limit, an entry trimmed meanwhile — is recovered=false with no publications and the current top, so the
 * client knows it must reload instead of believing it has the whole stream.
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
  /** Publications in one answer; a client further behind gets recovered=false. */
  readonly maxRecoveryPublications: number;
  /** Encoded bytes of the publications in one answer; a client further behind gets recovered=false. */
  readonly maxRecoveryBytes: number;
}

/** Safe defaults (what HISTORY_MAX_RECOVERY_* default to): one answer stays well below broker limits. */
export const DEFAULT_RECOVERY_LIMITS: RecoveryLimits = {
  maxRecoveryPublications: 1000,
  maxRecoveryBytes: 2 * 1024 * 1024,
};

export interface RecoveryAnswer {
  readonly recovered: boolean;
  readonly position: Position;
  readonly publications: Publication[];
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

function withinBytes(publications: Publication[], maxBytes: number): boolean {
  let bytes = 0;
  for (const publication of publications) {
    bytes += v1.Publication.encode(publication).finish().byteLength;
    if (bytes > maxBytes) return false;
  }
  return true;
}

export async function recoverSince(
  store: HistoryStore,
  channel: string,
  since: number,
  epoch: string,
  limits: RecoveryLimits,
): Promise<RecoveryAnswer> {
  // One more than the limit: a gap longer than the limit must show as not covered, not as a full answer.
  const limit = limits.maxRecoveryPublications + 1;
  let recovery = await store.since(channel, since, epoch, limit);
  if (recovery === 'gap' && since === 0 && epoch === '') {
    await store.open(channel);
    recovery = await store.since(channel, since, epoch, limit);
  }
  if (
    recovery !== 'gap' &&
    recovery.publications.length <= limits.maxRecoveryPublications &&
    coversSince(since, recovery) &&
    withinBytes(recovery.publications, limits.maxRecoveryBytes)
  )
    return { recovered: true, position: recovery.position, publications: recovery.publications };
  // Not recovered: the current top, with an epoch even for a channel without history (resumable later).
  const position = recovery !== 'gap' ? recovery.position : await store.open(channel);
  return { recovered: false, position, publications: [] };
}
