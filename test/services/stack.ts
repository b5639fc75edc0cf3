/**
 * A whole Switchboard on one bus, in this process but with the broker's view of separate processes: two
 * edge nodes and one instance of each business service (history, chat, notifications, presence), every one
 * on a transport of its own. Stores are Redis (under a key prefix unique to the run, deleted on close) when
 * a Redis URL is given, in memory otherwise. Clients are the real SDK over WebSockets to the real edges.
 */
import { createRequire } from 'node:module';
import type { Transport } from '../../packages/bus/src/index.js';
import { Client, type ClientOptions } from '../../packages/client/src/index.js';
import type { Service } from '../../packages/service-kit/src/index.js';
import {
  type ChatStore,
  createChatService,
  MemoryChatStore,
  RedisChatStore,
} from '../../services/chat/src/index.js';
import { EdgeNode } from '../../services/edge/src/index.js';
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

/** One chat instance, with the rooms whose messages it numbered (every handled send takes one number). */
export interface ChatInstance {
  readonly name: string;
  readonly service: Service;
  /** Sends this instance handled: one entry (the room) per message number it took from the store. */
  readonly handled: string[];
}

export interface Stack {
  readonly run: string;
  readonly nodes: readonly [EdgeNode, EdgeNode];
  readonly chats: ChatInstance[];
  readonly notifications: NotificationsService;
  readonly presence: PresenceService;
  /** The Redis key prefix of this stack (every store's keys start with it), or undefined for memory. */
  readonly redisPrefix: string | undefined;
  /** A connected SDK client of `user` on node `node` (0 or 1); disconnected by close() if still open. */
  client(node: 0 | 1, user: string, options?: ClientOptions): Promise<Client>;
  /** Another chat instance on its own transport, sharing the store (as two processes share Redis). */
  addChatInstance(): Promise<ChatInstance>;
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

/** Wraps a chat store so that every message number taken (one per handled send) is recorded. */
function countingChatStore(store: ChatStore, handled: string[]): ChatStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'nextSeq')
        return (room: string) => {
          handled.push(room);
          return target.nextSeq(room);
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
): Promise<Stack> {
  const name = `svc-it-${busName}-${run}`;
  const redisPrefix = redisUrl ? `sb-it-${run}:` : undefined;
  const transports: Transport[] = [];
  const stores: { close(): Promise<void> }[] = [];
  const services: { stop(): Promise<void> }[] = [];
  const nodes: EdgeNode[] = [];
  const clients: Client[] = [];
  const killed = new Set<Transport>();

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
    for (const client of clients.splice(0)) client.disconnect();
    for (const node of nodes.splice(0)) await attempt(() => node.close());
    for (const service of services.splice(0).reverse()) await attempt(() => service.stop());
    for (const store of stores.splice(0)) await attempt(() => store.close());
    for (const t of transports.splice(0)) if (!killed.has(t)) await attempt(() => t.close());
    if (redisUrl && redisPrefix) await attempt(() => deleteKeys(redisUrl, redisPrefix));
    if (errors.length > 0) throw new AggregateError(errors, `closing the ${busName} stack failed`);
  };

  let memoryChatStore: MemoryChatStore | undefined;
  /** Redis: a store (client) per instance on the shared keys; memory: one store shared by the instances. */
  const chatStore = (): ChatStore => {
    if (redisUrl) {
      const store = new RedisChatStore({ url: redisUrl, prefix: `${redisPrefix}chat:` });
      stores.push(store);
      return store;
    }
    if (!memoryChatStore) {
      memoryChatStore = new MemoryChatStore();
      stores.push(memoryChatStore);
    }
    return memoryChatStore;
  };

  const chats: ChatInstance[] = [];
  const addChatInstance = async (): Promise<ChatInstance> => {
    const instance = `chat${chats.length + 1}`;
    const handled: string[] = [];
    const service = createChatService({
      transport: await transport(instance),
      store: countingChatStore(chatStore(), handled),
      httpPort: false,
      // The scenarios send bursts from one user; the rate limit is not what they test.
      ratePerUserPerSecond: 10_000,
    });
    services.push(service);
    await service.start();
    const chat = { name: instance, service, handled };
    chats.push(chat);
    return chat;
  };

  try {
    const historyStore: HistoryStore = redisUrl
      ? new RedisHistoryStore({
          url: redisUrl,
          prefix: `${redisPrefix}history:`,
          maxPerChannel: 1_000,
          ttlMs: 3_600_000,
        })
      : new MemoryHistoryStore({ maxPerChannel: 1_000, ttlMs: 3_600_000 });
    stores.push(historyStore);
    const history = createHistoryService({
      transport: await transport('history'),
      store: historyStore,
      httpPort: false,
    });
    services.push(history);
    await history.start();

    await addChatInstance();

    const inbox: InboxStore = redisUrl
      ? new RedisInboxStore({ url: redisUrl, prefix: `${redisPrefix}inbox:` })
      : new MemoryInboxStore();
    stores.push(inbox);
    const notifications = createNotificationsService({
      transport: await transport('notifications'),
      store: inbox,
      httpPort: false,
    });
    services.push(notifications);
    await notifications.start();

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
        },
        { transport: t },
      );
      nodes.push(node);
      await node.start();
    }
    const [first, second] = nodes as [EdgeNode, EdgeNode];

    return {
      run,
      nodes: [first, second],
      chats,
      notifications,
      presence,
      redisPrefix,
      transport,
      addChatInstance,
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
