/**
 * The chat service: handlers for the `chat.*` types clients send through the edge (`Send{service: 'chat'}`,
 * JSON payloads). Rooms are the durable channels `chat:<room>`: messages, edits and deletions go through
 * the history service (offset + epoch, recovery, history queries: clients ask it directly). The sender gets
 * its own message in the reply and, like every subscriber, on the channel: a durable stream must reach each
 * subscriber without holes (the edge applies `except` to ephemeral publications only). Typing indicators use the
 * ephemeral channel `typing:<room>`; private messages are pushes to the recipient's user route.
 *
 * Rooms are bounded (room-gate.ts): a user creates at most `roomCreationsPerUserPerHour` new rooms, at most
 * `maxRooms` exist, and `chat.rooms` answers at most `roomsListLimit` of them, most recently active first,
 * with the total count.
 *
 * Handlers resolve after every publish was accepted; a throw (store or bus down) lets the bus retry.
 * Ordering: a publish happens before the store records what makes a retry skip it (clientMsgId, deletion),
 * so a retried message is published again rather than lost.
 */
import type { Transport } from '@switchboard/bus';
import { ChatTypes, type ErrorName, ServiceNames } from '@switchboard/protocol';
import type { ChannelPublishOptions } from '@switchboard/publisher';
import {
  defineService,
  type InboundContext,
  json,
  type Service,
  type ServiceOptions,
} from '@switchboard/service-kit';
import { type ChatStore, messageId } from './chat-store.js';
import {
  type Parsed,
  parseEdit,
  parseId,
  parsePrivate,
  parseRoom,
  parseRoomsRequest,
  parseSend,
} from './payloads.js';
import { RateLimiter } from './rate-limiter.js';
import { DEFAULT_ROOM_LIMITS, RoomGate } from './room-gate.js';

export const CHAT_SERVICE = ServiceNames.chat;
export const roomChannel = (room: string): string => `chat:${room}`;
export const typingChannel = (room: string): string => `typing:${room}`;

/** Inbound types handled by the service (what clients put in `Send.type`), defined with the wire names. */
export { ChatTypes };

export interface ChatServiceOptions
  extends Pick<
    ServiceOptions,
    | 'logger'
    | 'httpPort'
    | 'httpHost'
    | 'stopTimeoutMs'
    | 'metricsRegistry'
    | 'prefetch'
    | 'maxAttempts'
    | 'tracing'
  > {
  readonly transport: Transport;
  readonly store: ChatStore;
  /** Longest message text after trimming. Default 2000. */
  readonly maxMessageLength?: number;
  /** Sends, edits and private messages per user per second. Default 5. */
  readonly ratePerUserPerSecond?: number;
  /** Bucket size of the rate limit. Default 2 × the rate. */
  readonly rateBurst?: number;
  /** Create unknown rooms on join/send. Default true. When false, only existing rooms may be used. */
  readonly autoCreateRooms?: boolean;
  /** New rooms one user may create per hour (token bucket, per instance). Default 10. */
  readonly roomCreationsPerUserPerHour?: number;
  /** Rooms that may exist in all; creating one more is refused. Default 1000. */
  readonly maxRooms?: number;
  /** Most rooms in a `chat.rooms` answer (and its default `limit`). Default 100. */
  readonly roomsListLimit?: number;
  /** Clock (message times, rate limit). Default Date.now. */
  readonly now?: () => number;
  /** Ids of private messages. Default crypto.randomUUID. */
  readonly newId?: () => string;
}

type Context = InboundContext<unknown>;

export function createChatService(options: ChatServiceOptions): Service {
  const { store } = options;
  const maxLength = options.maxMessageLength ?? 2000;
  const now = options.now ?? Date.now;
  const newId = options.newId ?? (() => crypto.randomUUID());
  const autoCreate = options.autoCreateRooms ?? true;
  const rate = options.ratePerUserPerSecond ?? 5;
  const limiter = new RateLimiter({ perSecond: rate, burst: options.rateBurst ?? rate * 2, now });
  const rooms = new RoomGate({
    store,
    autoCreate,
    creationsPerUserPerHour:
      options.roomCreationsPerUserPerHour ?? DEFAULT_ROOM_LIMITS.creationsPerUserPerHour,
    maxRooms: options.maxRooms ?? DEFAULT_ROOM_LIMITS.maxRooms,
    now,
  });
  const roomsListLimit = options.roomsListLimit ?? DEFAULT_ROOM_LIMITS.roomsListLimit;
  const service = defineService({
    name: CHAT_SERVICE,
    transport: options.transport,
    logger: options.logger,
    httpPort: options.httpPort,
    httpHost: options.httpHost,
    stopTimeoutMs: options.stopTimeoutMs,
    metricsRegistry: options.metricsRegistry,
    prefetch: options.prefetch,
    maxAttempts: options.maxAttempts,
    tracing: options.tracing,
  });
  const publisher = service.publisher;

  const reject = async (m: Context, code: ErrorName, problem: string): Promise<void> => {
    m.log.debug({ code, problem }, 'chat request rejected');
    await m.replyError(code, problem);
  };

  /** The sender's user id, or undefined after replying Unauthorized (anonymous connections cannot chat). */
  const sender = async (m: Context): Promise<string | undefined> => {
    if (m.inbound.userId) return m.inbound.userId;
    await reject(m, 'Unauthorized', 'chat needs a signed-in user');
    return undefined;
  };

  /** Runs `then` with the parsed payload, or replies BadRequest with the problem. */
  const parsed = async <T>(m: Context, result: Parsed<T>, then: (value: T) => Promise<void>) =>
    result.ok ? then(result.value) : reject(m, 'BadRequest', result.problem);

  const limited = async (m: Context, user: string): Promise<boolean> => {
    if (limiter.take(user)) return false;
    await reject(m, 'RateLimited', `more than ${rate} messages per second`);
    return true;
  };

  /** True when the room exists or was just created; otherwise replies why not (see room-gate.ts). */
  const roomReady = async (m: Context, room: string, user: string): Promise<boolean> => {
    const admission = await rooms.admit(room, user);
    if (admission.ok) return true;
    await reject(m, admission.code, admission.problem);
    return false;
  };

  const channelOptions = (m: Context, user: string, durable: boolean): ChannelPublishOptions => ({
    durable,
    except: m.inbound.connectionId || undefined,
    from: { userId: user },
    traceId: m.inbound.traceId || undefined,
  });

  // Every chat type is client-callable (the edge's default allow-list names them): payloads are hostile.
  const decode = { decode: json(), clientCallable: true };

  service.on(
    ChatTypes.join,
    async (m) => {
      const user = await sender(m);
      if (!user) return;
      await parsed(m, parseRoom(m.payload), async ({ room }) => {
        if (!(await roomReady(m, room, user))) return;
        if (await store.addMember(room, user))
          await publisher.toChannel(
            roomChannel(room),
            'chat.joined',
            { room, user, time: now() },
            channelOptions(m, user, false),
          );
        await m.reply('chat.joined', { room, members: await store.members(room) });
      });
    },
    decode,
  );

  service.on(
    ChatTypes.leave,
    async (m) => {
      const user = await sender(m);
      if (!user) return;
      await parsed(m, parseRoom(m.payload), async ({ room }) => {
        if (!(await store.hasRoom(room))) return reject(m, 'BadRequest', `unknown room "${room}"`);
        if (await store.removeMember(room, user))
          await publisher.toChannel(
            roomChannel(room),
            'chat.left',
            { room, user, time: now() },
            channelOptions(m, user, false),
          );
        await m.reply('chat.left', { room });
      });
    },
    decode,
  );

  service.on(
    ChatTypes.send,
    async (m) => {
      const user = await sender(m);
      if (!user) return;
      await parsed(m, parseSend(m.payload, maxLength), async ({ room, text, clientMsgId }) => {
        const echo = clientMsgId ? { clientMsgId } : {};
        if (clientMsgId) {
          const earlier = await store.findByClientMsgId(user, clientMsgId);
          if (earlier)
            return void (await m.reply('chat.sent', { id: earlier, room, duplicate: true, ...echo }));
        }
        if (await limited(m, user)) return;
        if (!(await roomReady(m, room, user))) return;
        const message = { id: messageId(room, await store.nextSeq(room)), room, text, user, time: now() };
        await store.saveMessage({ id: message.id, room, author: user });
        await publisher.toChannel(roomChannel(room), 'chat.message', message, channelOptions(m, user, true));
        // Only the order of `chat.rooms` depends on it: a failure must not make the bus publish the message again.
        await store
          .touchRoom(room, message.time)
          .catch((error: unknown) => m.log.warn({ err: error, room }, 'could not record room activity'));
        if (clientMsgId) await store.rememberClientMsgId(user, clientMsgId, message.id);
        await m.reply('chat.sent', { ...message, ...echo });
      });
    },
    decode,
  );

  service.on(
    ChatTypes.edit,
    async (m) => {
      const user = await sender(m);
      if (!user) return;
      await parsed(m, parseEdit(m.payload, maxLength), async ({ id, text }) => {
        const meta = await store.getMessage(id);
        if (!meta || meta.deleted) return reject(m, 'BadRequest', `unknown message "${id}"`);
        if (meta.author !== user) return reject(m, 'PermissionDenied', 'only the author may edit a message');
        if (await limited(m, user)) return;
        const edited = { id, room: meta.room, text, user, time: now() };
        await publisher.toChannel(
          roomChannel(meta.room),
          'chat.edited',
          edited,
          channelOptions(m, user, true),
        );
        await m.reply('chat.edited', edited);
      });
    },
    decode,
  );

  service.on(
    ChatTypes.delete,
    async (m) => {
      const user = await sender(m);
      if (!user) return;
      await parsed(m, parseId(m.payload), async ({ id }) => {
        const meta = await store.getMessage(id);
        if (!meta || meta.deleted) return reject(m, 'BadRequest', `unknown message "${id}"`);
        if (meta.author !== user)
          return reject(m, 'PermissionDenied', 'only the author may delete a message');
        const deleted = { id, room: meta.room, user, time: now() };
        await publisher.toChannel(
          roomChannel(meta.room),
          'chat.deleted',
          deleted,
          channelOptions(m, user, true),
        );
        await store.markDeleted(id);
        await m.reply('chat.deleted', deleted);
      });
    },
    decode,
  );

  service.on(
    ChatTypes.typing,
    async (m) => {
      const user = await sender(m);
      if (!user) return;
      await parsed(m, parseRoom(m.payload), async ({ room }) => {
        if (!(await store.hasRoom(room))) return reject(m, 'BadRequest', `unknown room "${room}"`);
        await publisher.toChannel(
          typingChannel(room),
          'chat.typing',
          { room, user },
          channelOptions(m, user, false),
        );
        await m.reply('chat.typing', { room });
      });
    },
    decode,
  );

  service.on(
    ChatTypes.private,
    async (m) => {
      const user = await sender(m);
      if (!user) return;
      await parsed(m, parsePrivate(m.payload, maxLength), async ({ to, text }) => {
        if (await limited(m, user)) return;
        const message = { id: newId(), from: user, to, text, time: now() };
        await publisher.toUser(to, 'chat.private', message, {
          id: message.id,
          traceId: m.inbound.traceId || undefined,
        });
        await m.reply('chat.private.sent', message);
      });
    },
    decode,
  );

  service.on(
    ChatTypes.rooms,
    async (m) => {
      await parsed(m, parseRoomsRequest(m.payload as Uint8Array, roomsListLimit), async ({ limit }) => {
        const list = await store.listRooms(limit);
        await m.reply('chat.rooms', { rooms: list.rooms, total: list.total, limit });
      });
    },
    { clientCallable: true },
  );

  return service;
}
