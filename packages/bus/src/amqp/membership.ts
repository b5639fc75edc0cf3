/**
 * Who owns which shard of an ordered consumer group. Every instance of a group announces itself on
 * `sb.members` (routing key `<topic>.<group>`) every ANNOUNCE_MS and hears the others through an exclusive
 * auto-delete queue; a member not heard from for LEASE_MS is gone (a closing instance says so at once).
 * From the live member set every instance computes the same owner per shard, so no coordinator is needed.
 *
 * The assignment is only for sharing the work: correctness never depends on the views agreeing. Shard
 * queues keep x-single-active-consumer, so two instances that both think they own a shard (views not yet
 * converged) still get its messages one consumer at a time — the later subscriber waits as a standby
 * until the earlier one lets go.
 */
import { createHash } from 'node:crypto';

export const ANNOUNCE_MS = 1_000;
export const LEASE_MS = 3_000;
/** How often leases are checked and ownership re-applied (also retries a failed acquire). */
export const TICK_MS = 250;

export interface Announcement {
  readonly member: string;
  readonly state: 'alive' | 'leaving';
}

export function encodeAnnouncement(announcement: Announcement): Buffer {
  return Buffer.from(JSON.stringify(announcement), 'utf8');
}

export function decodeAnnouncement(content: Buffer): Announcement | undefined {
  try {
    const value = JSON.parse(content.toString('utf8')) as Partial<Announcement>;
    if (typeof value.member !== 'string' || value.member === '') return undefined;
    if (value.state !== 'alive' && value.state !== 'leaving') return undefined;
    return { member: value.member, state: value.state };
  } catch {
    return undefined;
  }
}

/** The live members of a group as one instance sees them; `self` is always a member. */
export class MemberTable {
  readonly #seen = new Map<string, number>();

  constructor(
    readonly self: string,
    readonly leaseMs = LEASE_MS,
  ) {}

  /** Records an announcement; true when the member was not known (a newcomer). */
  heard(member: string, now: number): boolean {
    if (member === this.self) return false;
    const known = this.#seen.has(member);
    this.#seen.set(member, now);
    return !known;
  }

  /** The member said it is leaving; true when it was known. */
  left(member: string): boolean {
    return this.#seen.delete(member);
  }

  /** Drops members whose lease ran out; true when any was dropped. */
  expire(now: number): boolean {
    let changed = false;
    for (const [member, at] of this.#seen) {
      if (now - at > this.leaseMs) {
        this.#seen.delete(member);
        changed = true;
      }
    }
    return changed;
  }

  /** Every live member, self included, sorted. */
  live(): string[] {
    return [this.self, ...this.#seen.keys()].sort();
  }
}

/**
 * Rendezvous (highest random weight) hashing with bounded load: shard by shard, the member ranking
 * highest for that shard takes it unless it already holds its share (floor(shards / members), or one
 * more for the first shards % members members to get there). Everyone computing this from the same
 * member set gets the same answer; shares differ by at most one shard, and a member joining or leaving
 * moves few shards. Returns the owner per shard.
 */
export function assignShards(members: readonly string[], shards: number): string[] {
  const sorted = [...new Set(members)].sort();
  if (sorted.length === 0) throw new RangeError('assignShards needs at least one member');
  const floor = Math.floor(shards / sorted.length);
  let extra = shards % sorted.length;
  const load = new Map<string, number>(sorted.map((member) => [member, 0]));
  const owners: string[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const ranked = sorted
      .map((member) => ({ member, score: score(member, shard) }))
      .sort((x, y) => y.score - x.score || (x.member < y.member ? -1 : 1));
    const { member: owner } = ranked.find(({ member }) => {
      const held = load.get(member) ?? 0;
      return held < floor || (held === floor && extra > 0);
    })!;
    const held = (load.get(owner) ?? 0) + 1;
    if (held > floor) extra--;
    load.set(owner, held);
    owners.push(owner);
  }
  return owners;
}

function score(member: string, shard: number): number {
  return createHash('sha256').update(`${member}/${shard}`).digest().readUInt32BE(0);
}
