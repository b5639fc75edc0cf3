/**
 * In-process ChatStore: the embedded default. Bounded: the oldest message records go first; rooms are
 * bounded by the `maxRooms` the service passes to createRoom.
 */
import type { ChatStore, CreateRoomOptions, CreateRoomResult, MessageMeta, RoomList } from './chat-store.js';

export interface MemoryChatStoreOptions {
  /** Message records (authorship, clientMsgId) kept; the oldest are forgotten first. Default 100 000. */
  readonly maxMessages?: number;
}

export class MemoryChatStore implements ChatStore {
  /** Room -> time of its last activity (creation or message). */
  readonly #rooms = new Map<string, number>();
  readonly #seq = new Map<string, number>();
  readonly #messages = new Map<string, MessageMeta>();
  readonly #clientIds = new Map<string, string>();
  readonly #members = new Map<string, Set<string>>();
  readonly #maxMessages: number;

  constructor(options: MemoryChatStoreOptions = {}) {
    this.#maxMessages = options.maxMessages ?? 100_000;
  }

  async createRoom(room: string, options: CreateRoomOptions = {}): Promise<CreateRoomResult> {
    if (this.#rooms.has(room)) return 'exists';
    if (options.maxRooms !== undefined && this.#rooms.size >= options.maxRooms) return 'full';
    this.#rooms.set(room, options.atMs ?? Date.now());
    return 'created';
  }

  async hasRoom(room: string): Promise<boolean> {
    return this.#rooms.has(room);
  }

  async touchRoom(room: string, atMs: number): Promise<void> {
    const last = this.#rooms.get(room);
    if (last !== undefined && atMs > last) this.#rooms.set(room, atMs);
  }

  async listRooms(limit: number): Promise<RoomList> {
    // Newest activity first; equal times by name, descending (as Redis orders a reversed sorted set).
    const rooms = [...this.#rooms]
      .sort(([a, at], [b, bt]) => bt - at || (a < b ? 1 : a > b ? -1 : 0))
      .slice(0, Math.max(0, limit))
      .map(([room]) => room);
    return { rooms, total: this.#rooms.size };
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
