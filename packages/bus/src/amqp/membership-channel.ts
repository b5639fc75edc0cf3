/**
 * An ordered-group instance's part in the group's membership (membership.ts): the channel on which it
 * hears the others' announcements and sends its own, and its view of who is alive. It announces itself
 * every ANNOUNCE_MS, answers a newcomer at once, says when it leaves, and calls `onChange` whenever the
 * live set may have changed, so the owner (ordered-work.ts) can recompute which shards are its own. A
 * channel that breaks while the connection stays up is opened again on the next tick.
 */
import type { Channel } from 'amqplib';
import {
  ANNOUNCE_MS,
  type Announcement,
  decodeAnnouncement,
  encodeAnnouncement,
  LEASE_MS,
  MemberTable,
} from './membership.js';
import type { Session } from './session.js';
import { declareMemberQueue, MEMBERS_EXCHANGE, membersRoutingKey } from './topology.js';
import type { WorkRegistration } from './work-registration.js';

const ignore = () => undefined;

export class MembershipChannel {
  readonly #work: WorkRegistration;
  readonly #members: MemberTable;
  readonly #onChange: () => void;
  /** The session the channel belongs to (the ordered consumer's current one). */
  #session: Session | undefined;
  #channel: Channel | undefined;
  #opening = false;
  #lastAnnounce = 0;

  constructor(work: WorkRegistration, member: string, onChange: () => void) {
    this.#work = work;
    this.#members = new MemberTable(member, LEASE_MS);
    this.#onChange = onChange;
  }

  /** This instance's id in the group's membership. */
  get self(): string {
    return this.#members.self;
  }

  /** Every live member as this instance sees it, self included, sorted. */
  live(): string[] {
    return this.#members.live();
  }

  /** Consumes the group's announcements on `channel`, which becomes the membership channel through use(). */
  async listen(channel: Channel): Promise<void> {
    channel.once('close', () => {
      if (this.#channel === channel) this.#channel = undefined;
    });
    const queue = await declareMemberQueue(channel, this.#work.topic, this.#work.group);
    await channel.consume(
      queue,
      (message) => {
        if (message) this.#onAnnouncement(message.content);
      },
      { noAck: true },
    );
  }

  /** `channel` (already listening) is now the one announcements go out on, for `session`. */
  use(session: Session, channel: Channel): void {
    this.#session = session;
    this.#channel = channel;
  }

  announce(state: Announcement['state']): void {
    const channel = this.#channel;
    if (!channel) return;
    this.#lastAnnounce = Date.now();
    try {
      channel.publish(
        MEMBERS_EXCHANGE,
        membersRoutingKey(this.#work.topic, this.#work.group),
        encodeAnnouncement({ member: this.#members.self, state }),
        { expiration: String(LEASE_MS) },
      );
    } catch (error) {
      this.#work.options.logger.debug({ err: error }, 'membership announcement not sent');
    }
  }

  /** The periodic part: reopen a broken channel, announce when due, forget members whose lease ran out. */
  tick(session: Session): void {
    if (!this.#channel) void this.#reopen(session);
    const now = Date.now();
    if (now - this.#lastAnnounce >= ANNOUNCE_MS) this.announce('alive');
    this.#members.expire(now);
  }

  /** Called once, by the ordered consumer's close(), after it announced that it leaves. */
  async close(): Promise<void> {
    const channel = this.#channel;
    this.#channel = undefined;
    await channel?.close().catch(ignore);
  }

  #onAnnouncement(content: Buffer): void {
    if (this.#work.closed()) return;
    const announcement = decodeAnnouncement(content);
    if (!announcement || announcement.member === this.#members.self) return;
    if (announcement.state === 'leaving') {
      if (this.#members.left(announcement.member)) this.#onChange();
      return;
    }
    if (this.#members.heard(announcement.member, Date.now())) {
      // A newcomer: answer at once so it learns about us without waiting for the next round.
      this.announce('alive');
      this.#onChange();
    }
  }

  /** The membership channel broke while the connection stayed up (a channel error): open a new one. */
  async #reopen(session: Session): Promise<void> {
    if (this.#opening) return;
    this.#opening = true;
    const { topic, group } = this.#work;
    try {
      const channel = await session.openChannel(`members ${topic}/${group}`);
      try {
        await this.listen(channel);
      } catch (error) {
        await channel.close().catch(ignore);
        throw error;
      }
      if (this.#work.closed() || this.#session !== session) {
        await channel.close().catch(ignore);
        return;
      }
      this.#channel = channel;
      this.announce('alive');
    } catch (error) {
      this.#work.options.logger.warn({ err: error, topic, group }, 'membership reopen failed');
    } finally {
      this.#opening = false;
    }
  }
}
