/**
 * The session: one SDK Client for the signed-in user, the current room's subscriptions (chat, typing,
 * presence) and the user's notifications. It turns SDK events into store updates; views only read the store
 * and call the methods here.
 */
import { Client, type Publication, type Subscription } from '@switchboard/client';
import { fetchToken, resolveWsUrl } from './api.js';
import { decodeJson, encodeJson, str } from './codec.js';
import {
  type AppState,
  addNotice,
  confirmMessage,
  deleteMessage,
  editMessage,
  failMessage,
  hasMessage,
  markNoticeRead,
  parseChatMessage,
  parseNotice,
  parseRooms,
  presenceFromList,
  presenceJoin,
  presenceLeave,
  upsertMessage,
} from './state.js';
import type { Store } from './store.js';

const HISTORY_LIMIT = 50;
const TYPING_SEND_EVERY_MS = 2_500;
const TYPING_SHOW_MS = 4_000;

interface RoomSubs {
  room: string;
  chat: Subscription;
  typing: Subscription;
  presence: Subscription;
  offs: (() => void)[];
  /** The chat channel was subscribed at least once: a later `subscribed` is a resume. */
  subscribedOnce: boolean;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}

/** Resolves true at the subscription's next `subscribed`, false if it ends (refused, removed) first. */
function firstSubscribed(sub: Subscription): Promise<boolean> {
  if (sub.state === 'subscribed') return Promise.resolve(true);
  return new Promise((resolve) => {
    const offs = [sub.on('subscribed', () => settle(true)), sub.on('unsubscribed', () => settle(false))];
    function settle(value: boolean): void {
      for (const off of offs) off();
      resolve(value);
    }
  });
}

export class Session {
  readonly #store: Store<AppState>;
  #client: Client | undefined;
  #room: RoomSubs | undefined;
  #clientOffs: (() => void)[] = [];
  #recovering: { count: number; gap: boolean } | undefined;
  #lastTypingSent = 0;
  #seq = 0;

  constructor(store: Store<AppState>) {
    this.#store = store;
  }

  get client(): Client | undefined {
    return this.#client;
  }

  /** Signs in as `user` (dev token) and connects; resolves once connected. */
  async signIn(user: string): Promise<void> {
    const config = this.#store.state.config;
    if (!config) throw new Error('The page has no configuration yet.');
    if (this.#client) this.signOut();
    await fetchToken(user); // fail early and visibly when tokens are unavailable
    const client = new Client(resolveWsUrl(config.wsUrl, location.href), {
      getToken: () => fetchToken(user),
      name: 'switchboard-web',
      version: '0.1.0',
      maxReconnectDelayMs: 5_000,
    });
    this.#client = client;
    this.#store.update({ user, connection: 'connecting', stopped: null, notices: [], chatError: null });
    this.#clientOffs = [
      client.on('state', ({ newState }) => this.#store.update({ connection: newState })),
      client.on('connected', () => this.#onConnected()),
      client.on('disconnected', ({ code, reason }) =>
        this.#store.update({ stopped: `${code}${reason ? ` ${reason}` : ''}` }),
      ),
      client.on('push', (push) => {
        const notice = parseNotice(push, decodeJson(push.payload), Date.now());
        this.#store.update((s) => ({ notices: addNotice(s.notices, notice) }));
      }),
    ];
    client.connect();
    await client.ready(15_000);
  }

  signOut(): void {
    this.#leaveRoomLocally();
    for (const off of this.#clientOffs) off();
    this.#clientOffs = [];
    this.#client?.disconnect();
    this.#client = undefined;
    this.#store.update({
      user: null,
      connection: 'idle',
      stopped: null,
      room: null,
      messages: [],
      typing: {},
      presence: [],
      notices: [],
      recovery: null,
      chatError: null,
    });
  }

  /** Reconnects after a terminal disconnect. */
  reconnect(): void {
    this.#store.update({ stopped: null });
    this.#client?.connect();
  }

  async joinRoom(room: string): Promise<void> {
    const client = this.#requireClient();
    if (this.#room?.room === room) return;
    const previous = this.#room?.room;
    this.#leaveRoomLocally();
    if (previous)
      client.request('chat', 'chat.leave', encodeJson({ room: previous }), { key: previous }).catch(() => {});
    this.#store.update({ room, messages: [], typing: {}, presence: [], recovery: null, chatError: null });
    await client.request('chat', 'chat.join', encodeJson({ room }), { key: room });

    if (this.#store.state.room !== room) return; // switched again meanwhile
    // Subscribe first: the edge answers history only for channels the connection is subscribed to, and
    // live messages published meanwhile are not lost. Then load the history and merge it with what the
    // subscription has shown already (de-duplicated by message id).
    const subs = this.#subscribeRoom(client, room);
    void this.refreshPresence();
    if (await firstSubscribed(subs.chat)) await this.#reloadHistory(subs);
  }

  async refreshPresence(): Promise<void> {
    const room = this.#room?.room;
    const client = this.#client;
    if (!room || !client) return;
    try {
      const result = await client.presence(`presence-${room}`);
      if (this.#room?.room === room) this.#store.update({ presence: presenceFromList(result.clients) });
    } catch {
      // the presence subscription still reports joins and leaves
    }
  }

  async refreshRooms(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const reply = await client.request('chat', 'chat.rooms', encodeJson({}));
      this.#store.update({ rooms: parseRooms(decodeJson(reply.payload)) });
    } catch {
      // optional: the room input still works without suggestions
    }
  }

  /** Sends a message, shown at once as pending; resolves when the service confirms it. */
  async send(text: string, retryOf?: string): Promise<void> {
    const client = this.#requireClient();
    const room = this.#store.state.room;
    const user = this.#store.state.user;
    if (!room || !user) throw new Error('Join a room first.');
    const clientMsgId =
      retryOf ??
      `${Date.now().toString(36)}-${(++this.#seq).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.#store.update((s) => ({
      chatError: null,
      messages: upsertMessage(s.messages, {
        id: `local:${clientMsgId}`,
        clientMsgId,
        room,
        text,
        user,
        time: Date.now(),
        status: 'pending',
      }),
    }));
    try {
      const reply = await client.request('chat', 'chat.send', encodeJson({ room, text, clientMsgId }), {
        key: room,
      });
      const id =
        str((decodeJson(reply.payload) as { id?: unknown } | undefined)?.id) ?? `local:${clientMsgId}`;
      this.#store.update((s) => ({ messages: confirmMessage(s.messages, clientMsgId, id) }));
    } catch (error) {
      this.#store.update((s) => ({
        messages: failMessage(s.messages, clientMsgId),
        chatError: `Not sent: ${errorMessage(error)}`,
      }));
    }
  }

  /** Sends a failed own message again with the same clientMsgId (the service de-duplicates). */
  retry(clientMsgId: string): Promise<void> {
    const message = this.#store.state.messages.find((m) => m.clientMsgId === clientMsgId);
    if (!message) return Promise.resolve();
    return this.send(message.text, clientMsgId);
  }

  async remove(id: string): Promise<void> {
    const client = this.#requireClient();
    const room = this.#store.state.room ?? undefined;
    try {
      await client.request('chat', 'chat.delete', encodeJson({ id }), room ? { key: room } : {});
      this.#store.update((s) => ({ messages: deleteMessage(s.messages, id) }));
    } catch (error) {
      this.#store.update({ chatError: `Not deleted: ${errorMessage(error)}` });
    }
  }

  /** Call on input in the message field; tells the room at most every few seconds. */
  typing(): void {
    const client = this.#client;
    const room = this.#store.state.room;
    if (!client || !room || client.state !== 'connected') return;
    const now = Date.now();
    if (now - this.#lastTypingSent < TYPING_SEND_EVERY_MS) return;
    this.#lastTypingSent = now;
    try {
      client.send('chat', 'chat.typing', encodeJson({ room }), { key: room });
    } catch {
      // best effort
    }
  }

  ack(id: string): void {
    const notice = this.#store.state.notices.find((n) => n.id === id);
    if (!notice) return;
    if (notice.requiresAck) this.#client?.ack(id);
    this.#store.update((s) => ({ notices: markNoticeRead(s.notices, id) }));
  }

  ackAll(): void {
    for (const n of this.#store.state.notices) if (!n.read) this.ack(n.id);
  }

  // ------------------------------------------------------------------ internals

  #requireClient(): Client {
    if (!this.#client) throw new Error('Sign in first.');
    return this.#client;
  }

  #onConnected(): void {
    void this.refreshRooms();
    // After a reconnect: the chat service may track membership per connection, so join again.
    const room = this.#room?.room;
    if (room && this.#room?.subscribedOnce) {
      this.#client?.request('chat', 'chat.join', encodeJson({ room }), { key: room }).catch(() => {});
    }
  }

  #subscribeRoom(client: Client, room: string): RoomSubs {
    const chat = client.subscribe(`chat:${room}`);
    const typing = client.subscribe(`typing:${room}`);
    const presence = client.subscribe(`presence-${room}`);
    const subs: RoomSubs = { room, chat, typing, presence, offs: [], subscribedOnce: false };
    this.#room = subs;
    subs.offs.push(
      chat.on('subscribed', ({ wasRecovering, recovered }) => {
        if (!subs.subscribedOnce) {
          subs.subscribedOnce = true;
          return;
        }
        if (!wasRecovering) return;
        // Recovered publications are delivered synchronously right after this event: count them.
        const counter = { count: 0, gap: !recovered };
        this.#recovering = counter;
        queueMicrotask(() => {
          if (this.#recovering === counter) this.#recovering = undefined;
          if (this.#room !== subs) return;
          this.#store.update({ recovery: { count: counter.count, gap: counter.gap, atMs: Date.now() } });
          if (counter.gap) void this.#reloadHistory(subs);
        });
      }),
      chat.on('publication', (pub) => {
        if (this.#room === subs && this.#applyChatPublication(room, pub) && this.#recovering) {
          this.#recovering.count++;
        }
      }),
      chat.on('error', ({ error }) => this.#store.update({ chatError: `Room: ${errorMessage(error)}` })),
      typing.on('publication', (pub) => this.#applyTyping(pub)),
      presence.on('join', ({ info }) => {
        if (info)
          this.#store.update((s) => ({ presence: presenceJoin(s.presence, info.userId, info.connectionId) }));
      }),
      presence.on('leave', ({ info }) => {
        if (info)
          this.#store.update((s) => ({
            presence: presenceLeave(s.presence, info.userId, info.connectionId),
          }));
      }),
      // Joins and leaves missed while offline: fetch the list again after every (re)subscribe.
      presence.on('subscribed', () => void this.refreshPresence()),
    );
    return subs;
  }

  #leaveRoomLocally(): void {
    const subs = this.#room;
    if (!subs) return;
    this.#room = undefined;
    for (const off of subs.offs) off();
    const client = this.#client;
    if (client) for (const sub of [subs.chat, subs.typing, subs.presence]) client.removeSubscription(sub);
  }

  async #reloadHistory(subs: RoomSubs): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const history = await client.history(`chat:${subs.room}`, { limit: HISTORY_LIMIT });
      if (this.#room === subs) this.#applyHistory(subs.room, history.publications);
    } catch (error) {
      this.#store.update({ chatError: `History unavailable: ${errorMessage(error)}` });
    }
  }

  /** Merges a history page into the messages shown: in offset order, de-duplicated by message id. */
  #applyHistory(room: string, publications: readonly Publication[]): void {
    const ordered = [...publications].sort((a, b) => a.offset - b.offset || a.timeMs - b.timeMs);
    for (const pub of ordered) this.#applyChatPublication(room, pub);
  }

  /** Applies one chat channel publication; true when it added a message not seen before. */
  #applyChatPublication(room: string, pub: Publication): boolean {
    const payload = decodeJson(pub.payload);
    switch (pub.type) {
      case 'chat.message': {
        const message = parseChatMessage(payload, pub.timeMs || Date.now());
        if (!message) return false;
        const state = this.#store.state;
        if (state.room !== room) return false;
        const isNew = !hasMessage(state.messages, message.id);
        const typing = { ...state.typing };
        delete typing[message.user];
        this.#store.update({ messages: upsertMessage(state.messages, { ...message, room }), typing });
        return isNew;
      }
      case 'chat.edited': {
        const body = payload as { id?: unknown; text?: unknown } | undefined;
        const id = str(body?.id);
        const text = str(body?.text);
        if (id && text !== undefined)
          this.#store.update((s) => ({ messages: editMessage(s.messages, id, text) }));
        return false;
      }
      case 'chat.deleted': {
        const id = str((payload as { id?: unknown } | undefined)?.id);
        if (id) this.#store.update((s) => ({ messages: deleteMessage(s.messages, id) }));
        return false;
      }
      default:
        return false;
    }
  }

  #applyTyping(pub: Publication): void {
    const body = decodeJson(pub.payload) as { user?: unknown; userId?: unknown } | undefined;
    const user = str(body?.user) ?? str(body?.userId) ?? pub.from?.userId;
    if (!user || user === this.#store.state.user) return;
    this.#store.update((s) => ({ typing: { ...s.typing, [user]: Date.now() + TYPING_SHOW_MS } }));
  }
}
