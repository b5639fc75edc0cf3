/** In-process ChatStore: the embedded default. Bounded: the oldest message records go first. */
import type { ChatStore, MessageMeta } from './chat-store.js';

export interface MemoryChatStoreOptions {
  /** Message records (authorship, clientMsgId) kept; the oldest are forgotten first. Default 100 000. */
  readonly maxMessages?: number;
}

export class MemoryChatStore implements ChatStore {
  readonly #rooms = new Set<string>();
  readonly #seq = new Map<string, number>();
  readonly #messages = new Map<string, MessageMeta>();
  readonly #clientIds = new Map<string, string>();
  readonly #members = new Map<string, Set<string>>();
  readonly #maxMessages: number;

  constructor(options: MemoryChatStoreOptions = {}) {
    this.#maxMessages = options.maxMessages ?? 100_000;
  }

  async createRoom(room: string): Promise<boolean> {
    if (this.#rooms.has(room)) return false;
    this.#rooms.add(room);
    return true;
  }

  async hasRoom(room: string): Promise<boolean> {
    return this.#rooms.has(room);
  }

  async listRooms(): Promise<string[]> {
    return [...this.#rooms].sort();
  }

  async nextSeq(room: string): Promise<number> {
    const next = (this.#seq.get(room) ?? 0) + 1;
    this.#seq.set(room, next);
    return next;
  }

  async saveMessage(meta: Omit<MessageMeta, 'deleted'>): Promise<void> {
    this.#messages.set(meta.id, { ...meta, deleted: false });
    while (this.#messages.size > this.#maxMessages) {
      const oldest = this.#messages.keys().next().value as string;
      this.#messages.delete(oldest);
    }
  }

  async rememberClientMsgId(author: string, clientMsgId: string, id: string): Promise<void> {
    this.#clientIds.set(clientKey(author, clientMsgId), id);
    while (this.#clientIds.size > this.#maxMessages) {
      const oldest = this.#clientIds.keys().next().value as string;
      this.#clientIds.delete(oldest);
    }
  }

  async getMessage(id: string): Promise<MessageMeta | undefined> {
    return this.#messages.get(id);
  }

  async markDeleted(id: string): Promise<boolean> {
    const meta = this.#messages.get(id);
    if (!meta || meta.deleted) return false;
    this.#messages.set(id, { ...meta, deleted: true });
    return true;
  }

  async findByClientMsgId(author: string, clientMsgId: string): Promise<string | undefined> {
    return this.#clientIds.get(clientKey(author, clientMsgId));
  }

  async addMember(room: string, user: string): Promise<boolean> {
    let members = this.#members.get(room);
    if (!members) {
      members = new Set();
      this.#members.set(room, members);
    }
    if (members.has(user)) return false;
    members.add(user);
    return true;
  }

  async removeMember(room: string, user: string): Promise<boolean> {
    const members = this.#members.get(room);
    if (!members?.delete(user)) return false;
    if (members.size === 0) this.#members.delete(room);
    return true;
  }

  async members(room: string): Promise<string[]> {
    return [...(this.#members.get(room) ?? [])].sort();
  }

  async close(): Promise<void> {}
}

const clientKey = (author: string, clientMsgId: string) => `${author}\n${clientMsgId}`;
