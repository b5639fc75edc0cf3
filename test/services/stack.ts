/**
 * A whole Switchboard on one bus, in this process but with the broker's view of separate processes: two
 * edge nodes, one instance of each business service (history, chat, notifications, presence) and the HTTP
 * API, every one on a transport of its own. Stores are Redis (under a key prefix unique to the run, deleted
 * on close) when a Redis URL is given, in memory otherwise. Clients are the real SDK over WebSockets to the
 * real edges.
 */
import { createRequire } from 'node:module';
import type { Transport } from '../../packages/bus/src/index.js';
import { Client, type ClientOptions } from '../../packages/client/src/index.js';
import type { Service } from '../../packages/service-kit/src/index.js';
import { type RunningApi, startApi } from '../../services/api/src/index.js';
import {
  type ChatStore,
  createChatService,
  MemoryChatStore,
  RedisChatStore,
} from '../../services/chat/src/index.js';
import { EdgeNode, type EdgeNodeOptions } from '../../services/edge/src/index.js';
import { SECRET, sign } from '../../services/edge/src/testing/harness.js';
import type * as IoRedis from '../../services/history/node_modules/ioredis/built/index.js';
import {
  createHistoryService,
  type HistoryStore,
  MemoryHistoryStore,
  RedisHistoryStore,
} from '../../services/history/src/index.js';
import {
  createNotificationsService,
  type InboxStore,
  MemoryInboxStore,
  type NotificationsService,
  RedisInboxStore,
} from '../../services/notifications/src/index.js';
import {
  MemoryPresenceStore,
  PresenceService,
  type PresenceStore,
  RedisPresenceStore,
} from '../../services/presence/src/index.js';
import { type MakeTransport, record } from '../edge/edge-fixtures.js';

// ioredis is a dependency of the services only, so it is loaded from one of them.
const { Redis } = createRequire(new URL('../../services/history/package.json', import.meta.url))(
  'ioredis',
) as typeof IoRedis;

/** Presence lease of the stack: a node silent for longer is expired by the presence service's own sweep. */
export const PRESENCE_LEASE_MS = 1_500;
/** Edge heartbeat interval; the edge announces a lease of three intervals (1.5 s). */
export const NODE_HEARTBEAT_MS = 500;

/** The one API key the stack's API accepts. */
export const API_KEY = 'it-key';
/** Body limit of the stack's API (small, so a 413 needs no megabyte). */
export const API_MAX_BODY_BYTES = 16 * 1024;

/** A send held inside a chat instance: it has taken its message number and waits before saving it. */
export interface HeldSend {
  /** Resolves when a send to the room reached the hold (message number taken, nothing published yet). */
  readonly entered: Promise<void>;
  /** Lets the held send go on (the hold is removed: later sends to the room pass). */
  release(): void;
}

/** One chat instance, with the rooms whose messages it numbered (every handled send takes one number). */
export interface ChatInstance {
  readonly name: string;
  readonly service: Service;
  readonly transport: Transport;
  /** Sends this instance handled: one entry (the room) per message number it took from the store. */
  readonly handled: string[];
  /**
   * The next send to `room` that this instance handles stops after taking its message number, before the
   * message is saved and published, until released. Only this instance's store is wrapped.
   */
  hold(room: string): HeldSend;
}

export interface Stack {
  readonly run: string;
  readonly nodes: readonly [EdgeNode, EdgeNode];
  readonly chats: ChatInstance[];
  /** The notifications service instance running now (replaced by restartNotifications). */
  readonly notifications: NotificationsService;
  readonly presence: PresenceService;
  /** The HTTP API on a transport of its own, accepting API_KEY. */
  readonly api: RunningApi;
  /** The Redis key prefix of this stack (every store's keys start with it), or undefined for memory. */
  readonly redisPrefix: string | undefined;
  /** A connected SDK client of `user` on node `node` (0 or 1); disconnected by close() if still open. */
  client(node: 0 | 1, user: string, options?: ClientOptions): Promise<Client>;
  /** Another chat instance on its own transport, sharing the store (as two processes share Redis). */
  addChatInstance(): Promise<ChatInstance>;
  /**
   * The chat instance crashes: its bus connection closes under it, without Service.stop(), so in-flight
   * handlers are neither finished nor acked (the broker gives their messages to another instance). The
   * service object lives on like a zombie process: `stop()` on it waits for its handlers to end.
   */
  killChatInstance(chat: ChatInstance): Promise<void>;
  /**
   * Notifications restart: graceful stop, store and bus connection closed; then a new instance on a new
   * store client (same Redis prefix) and a new connection. A memory store is handed over instead (without
   * Redis there is nothing to survive a restart).
   */
  restartNotifications(): Promise<NotificationsService>;
  /** History restarts the same way: graceful stop, store and connection closed, a new one on the prefix. */
  restartHistory(): Promise<void>;
  /**
   * Node `node` dies silently: its bus connection goes away without EdgeNode.close(), so it neither
   * heartbeats nor announces the end of its connections. Its sockets stay open, like a hung process.
   */
  killNode(node: 0 | 1): Promise<void>;
  /** A transport of its own for the test (an order system, a receipts reader); closed by close(). */
  transport(name: string): Promise<Transport>;
  /** Clients, edges, services, stores, transports, in that order; then the run's Redis keys. */
  close(): Promise<void>;
}

/**
 * Wraps a chat store so that every message number taken (one per handled send) is recorded, and a send to
 * a held room waits in saveMessage (after nextSeq, before the publish) until its hold is released.
 */
function countingChatStore(
  store: ChatStore,
  handled: string[],
  holds: Map<string, { enter(): void; gate: Promise<void> }>,
): ChatStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'nextSeq')
        return (room: string) => {
          handled.push(room);
          return target.nextSeq(room);
        };
      if (property === 'saveMessage')
        return async (meta: Parameters<ChatStore['saveMessage']>[0]) => {
          const hold = holds.get(meta.room);
          if (hold) {
            holds.delete(meta.room);
            hold.enter();
            await hold.gate;
          }
          return target.saveMessage(meta);
        };
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export async function startStack(
  busName: string,
  makeTransport: MakeTransport,
  run: string,
  redisUrl: string | undefined,
  /** Merged into every edge's options (the security suite tunes limits with it). */
  edgeOptions: Partial<EdgeNodeOptions> = {},
): Promise<Stack> {
  const name = `svc-it-${busName}-${run}`;
  const redisPrefix = redisUrl ? `sb-it-${run}:` : undefined;
  const transports: Transport[] = [];
  const stores: { close(): Promise<void> }[] = [];
  const services: { stop(): Promise<void> }[] = [];
  const apis: RunningApi[] = [];
  const nodes: EdgeNode[] = [];
  const clients: Client[] = [];
  const killed = new Set<Transport>();
  /** Releases of held chat sends. */
  const releases: (() => void)[] = [];

  const transport = async (suffix: string) => {
    const t = await makeTransport(`${name}-${suffix}`);
    transports.push(t);
    return t;
  };

  const close = async () => {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void>) => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const release of releases.splice(0)) release();
    for (const client of clients.splice(0)) client.disconnect();
    for (const node of nodes.splice(0)) await attempt(() => node.close());
    for (const api of apis.splice(0)) await attempt(() => api.close());
    for (const service of services.splice(0).reverse()) await attempt(() => service.stop());
    for (const store of stores.splice(0)) await attempt(() => store.close());
    for (const t of transports.splice(0)) if (!killed.has(t)) await attempt(() => t.close());
    if (redisUrl && redisPrefix) await attempt(() => deleteKeys(redisUrl, redisPrefix));
    if (errors.length > 0) throw new AggregateError(errors, `closing the ${busName} stack failed`);
  };

  /**
   * A store factory per service. Redis: a store (client) per call, as each instance or restarted process
   * opens its own on the run's shared keys; memory: one store, created on first use, shared by the calls.
   */
  const storeOf = <S extends { close(): Promise<void> }>(onRedis: (url: string) => S, inMemory: () => S) => {
    let shared: S | undefined;
    return (): S => {
      if (redisUrl) {
        const store = onRedis(redisUrl);
        stores.push(store);
        return store;
      }
      if (!shared) {
        shared = inMemory();
        stores.push(shared);
      }
      return shared;
    };
  };
  const chatStore = storeOf<ChatStore>(
    (url) => new RedisChatStore({ url, prefix: `${redisPrefix}chat:` }),
    () => new MemoryChatStore(),
  );

  /** Stops a running component for good: out of the close lists, then stopped and closed in this order. */
  const retire = async (
    service: { stop(): Promise<void> },
    store: { close(): Promise<void> },
    t: Transport,
  ) => {
    services.splice(services.indexOf(service), 1);
    await service.stop();
    if (redisUrl) {
      stores.splice(stores.indexOf(store), 1);
      await store.close();
    }
    transports.splice(transports.indexOf(t), 1);
    await t.close();
  };

  const chats: ChatInstance[] = [];
  const addChatInstance = async (): Promise<ChatInstance> => {
    const instance = `chat${chats.length + 1}`;
    const handled: string[] = [];
    const holds = new Map<string, { enter(): void; gate: Promise<void> }>();
    const chatTransport = await transport(instance);
    const service = createChatService({
      transport: chatTransport,
      store: countingChatStore(chatStore(), handled, holds),
      httpPort: false,
      // The scenarios send bursts from one user into many rooms; the rate limit and the room-creation bound
      // are not what they test (services/chat has their tests).
      ratePerUserPerSecond: 10_000,
      roomCreationsPerUserPerHour: 10_000,
    });
    services.push(service);
    await service.start();
    const chat: ChatInstance = {
      name: instance,
      service,
      transport: chatTransport,
      handled,
      hold(room) {
        let enter: () => void = () => undefined;
        let release: () => void = () => undefined;
        const entered = new Promise<void>((resolve) => {
          enter = resolve;
        });
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        holds.set(room, { enter, gate });
        // Released at the latest by close(), so a stop() waiting for the held handler cannot hang.
        releases.push(release);
        return { entered, release };
      },
    };
    chats.push(chat);
    return chat;
  };

  let restarts = 0;
  const historyStore = storeOf<HistoryStore>(
    (url) =>
      new RedisHistoryStore({
        url,
        prefix: `${redisPrefix}history:`,
        maxPerChannel: 1_000,
        ttlMs: 3_600_000,
      }),
    () => new MemoryHistoryStore({ maxPerChannel: 1_000, ttlMs: 3_600_000 }),
  );
  const inboxStore = storeOf<InboxStore>(
    (url) => new RedisInboxStore({ url, prefix: `${redisPrefix}inbox:` }),
    () => new MemoryInboxStore(),
  );

  interface Running<S> {
    readonly service: S;
    readonly store: { close(): Promise<void> };
    readonly transport: Transport;
  }
  const startHistory = async (suffix: string): Promise<Running<Service>> => {
    const store = historyStore();
    const t = await transport(suffix);
    const service = createHistoryService({ transport: t, store, httpPort: false });
    services.push(service);
    await service.start();
    return { service, store, transport: t };
  };
  const startNotifications = async (suffix: string): Promise<Running<NotificationsService>> => {
    const store = inboxStore();
    const t = await transport(suffix);
    const service = createNotificationsService({ transport: t, store, httpPort: false });
    services.push(service);
    await service.start();
    return { service, store, transport: t };
  };

  try {
    let history = await startHistory('history');

    await addChatInstance();

    let notifications = await startNotifications('notifications');

    const presenceStore: PresenceStore = redisUrl
      ? RedisPresenceStore.connect(redisUrl, { prefix: `${redisPrefix}presence:` })
      : new MemoryPresenceStore();
    stores.push(presenceStore);
    const presence = new PresenceService({
      transport: await transport('presence'),
      store: presenceStore,
      leaseMs: PRESENCE_LEASE_MS,
      sweepMs: 250,
    });
    services.push(presence);
    await presence.start();

    const nodeTransports: Transport[] = [];
    for (let i = 0; i < 2; i++) {
      const t = await transport(`n${i}`);
      nodeTransports.push(t);
      const node = new EdgeNode(
        {
          nodeId: `${name}-n${i}`,
          host: '127.0.0.1',
          port: 0,
          jwtSecret: SECRET,
          durableNamespaces: ['chat'],
          nodeHeartbeatMs: NODE_HEARTBEAT_MS,
          requestTimeoutMs: 30_000,
          // The scenarios send bursts from one connection (work sharing publishes rounds until both chat
          // instances took some); the edge's flood protection is tested in services/edge, not here.
          limits: { rateLimitPerSecond: 10_000, rateLimitBurst: 10_000 },
          ...edgeOptions,
        },
        { transport: t },
      );
      nodes.push(node);
      await node.start();
    }
    const [first, second] = nodes as [EdgeNode, EdgeNode];

    const api = await startApi({
      transport: await transport('api'),
      keys: [API_KEY],
      maxBodyBytes: API_MAX_BODY_BYTES,
      queryTimeoutMs: 30_000,
      nodeId: `${name}-api`,
    });
    apis.push(api);

    return {
      run,
      nodes: [first, second],
      chats,
      get notifications() {
        return notifications.service;
      },
      presence,
      api,
      redisPrefix,
      transport,
      addChatInstance,
      async killChatInstance(chat) {
        killed.add(chat.transport);
        await chat.transport.close();
      },
      async restartNotifications() {
        await retire(notifications.service, notifications.store, notifications.transport);
        notifications = await startNotifications(`notifications-${++restarts}`);
        return notifications.service;
      },
      async restartHistory() {
        await retire(history.service, history.store, history.transport);
        history = await startHistory(`history-${++restarts}`);
      },
      async client(node, user, options = {}) {
        const client = new Client((node === 0 ? first : second).url, {
          getToken: () => sign({ sub: user }, { expiresIn: '1h' }),
          minReconnectDelayMs: 50,
          maxReconnectDelayMs: 500,
          timeoutMs: 30_000,
          ...options,
        });
        clients.push(client);
        const connected = record(client, 'connected');
        client.connect();
        await connected.next();
        return client;
      },
      async killNode(node) {
        const t = nodeTransports[node] as Transport;
        killed.add(t);
        await t.close();
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
