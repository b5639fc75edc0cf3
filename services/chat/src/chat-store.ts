/**
 * What the chat service keeps between messages: the rooms, per-room message sequence numbers (message
 * ids), who wrote each message (edit/delete by author only), room membership, and the sender's own
 * `clientMsgId` -> message id (so a client retrying a send gets the same id back). Message bodies are not
 * kept here: rooms are durable channels and the history service stores their publications.
 *
 * Two implementations: MemoryChatStore (the embedded default) and RedisChatStore (production; survives a
 * restart). Both pass the same contract (chat-store-contract.ts).
 */

export interface MessageMeta {
  readonly id: string;
  readonly room: string;
  /** User id of the author. */
  readonly author: string;
  readonly deleted: boolean;
}

/** What `createRoom` did: made the room, found it there already, or refused it because `maxRooms` exist. */
export type CreateRoomResult = 'created' | 'exists' | 'full';

export interface CreateRoomOptions {
  /** Refuse ('full') when this many rooms exist already; the check and the add are one atomic step. */
  readonly maxRooms?: number;
  /** Activity time of the new room (see listRooms). Default Date.now(). */
  readonly atMs?: number;
}

/** A page of rooms, most recently active first, and how many rooms exist in all. */
export interface RoomList {
  readonly rooms: string[];
  readonly total: number;
}

export interface ChatStore {
  /** Creates the room unless it exists or `maxRooms` rooms exist already. */
  createRoom(room: string, options?: CreateRoomOptions): Promise<CreateRoomResult>;
  hasRoom(room: string): Promise<boolean>;
  /** Records activity in the room (a message) at `atMs`: it moves up in listRooms. */
  touchRoom(room: string, atMs: number): Promise<void>;
  /** At most `limit` rooms, most recently active (created or written to) first, and the total count. */
  listRooms(limit: number): Promise<RoomList>;
  /** Next message sequence number of the room: 1, 2, 3… (never reused by the same store). */
  nextSeq(room: string): Promise<number>;
  /** Records who wrote message `id` (in which room). */
  saveMessage(meta: Omit<MessageMeta, 'deleted'>): Promise<void>;
  getMessage(id: string): Promise<MessageMeta | undefined>;
  /** Marks the message deleted; resolves false when it is unknown or already deleted. */
  markDeleted(id: string): Promise<boolean>;
  /** Remembers that `author`'s send with `clientMsgId` became message `id` (call once it is published). */
  rememberClientMsgId(author: string, clientMsgId: string, id: string): Promise<void>;
  /** The message id an earlier send of `author` with this `clientMsgId` got, if remembered. */
  findByClientMsgId(author: string, clientMsgId: string): Promise<string | undefined>;
  /** Adds/removes a member; resolve true when membership changed. */
  addMember(room: string, user: string): Promise<boolean>;
  removeMember(room: string, user: string): Promise<boolean>;
  /** Members of the room, sorted. */
  members(room: string): Promise<string[]>;
  close(): Promise<void>;
}

/** `<room>-<seq>`: unique because the room's sequence never repeats and seq has no `-`. */
export function messageId(room: string, seq: number): string {
  return `${room}-${seq}`;
}
