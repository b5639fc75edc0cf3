/**
 * `startStandalone(config)`: the edge, history, chat, notifications, presence, the HTTP API and the demo
 * page in one process on one bus. The edge owns the public port; every request it does not serve itself
 * (`/ws`, `/healthz`, `/readyz`, `/metrics`) goes to the demo page's handler: `/`, `/app.js`,
 * `/config.json`, `/dev/token` (embedded mode only), `POST /api/orders` (forwarded to the API's
 * `POST /v1/orders/events`) and `/stats.json`. The API listens on its own (loopback by default) port.
 */

import { type RunningApi, startApi } from '@switchboard/api';
import { connectBus, type Transport } from '@switchboard/bus';
import { type ChatStore, createChatService, MemoryChatStore, RedisChatStore } from '@switchboard/chat';
import { EdgeNode } from '@switchboard/edge';
import { createHistoryService, createHistoryStore } from '@switchboard/history';
import {
  createNotificationsService,
  type InboxStore,
  MemoryInboxStore,
  RedisInboxStore,
} from '@switchboard/notifications';
import {
  MemoryPresenceStore,
  PresenceService,
  type PresenceStore,
  RedisPresenceStore,
} from '@switchboard/presence';
import { buildWebAssets, createWebHandler, type OrderEvent } from '@switchboard/web';
import { type Logger, pino } from 'pino';
import { type AllInOneConfig, devTokensEnabled } from './config.js';
import { EdgeStats } from './stats.js';
import { createTokenIssuer, generateSecret } from './tokens.js';

export interface StandaloneDeps {
  readonly logger?: Logger;
  /** A transport to use (and not close); default: `connectBus(config.bus)`, closed by stop(). */
  readonly transport?: Transport;
}

export interface Standalone {
  /** `http://localhost:<port>`: the demo page. */
  readonly url: string;
  readonly port: number;
  /** `ws://…/ws` of the edge. */
  readonly wsUrl: string;
  /** Base URL of the in-process HTTP API. */
  readonly apiUrl: string;
  readonly edge: EdgeNode;
  readonly api: RunningApi;
  readonly devTokens: boolean;
  /** Mints a connection token (the dev token issuer; works even when `/dev/token` is off). */
  issueToken(user: string): Promise<string>;
  /** Drains the edge (clients told to reconnect), stops the API and the services, closes stores and bus. */
  stop(): Promise<void>;
}

const ORDER_FIELDS = ['userId', 'orderId', 'kind', 'details', 'eventId'] as const;

export async function startStandalone(
  config: AllInOneConfig,
  deps: StandaloneDeps = {},
): Promise<Standalone> {
  const log = deps.logger ?? pino({ level: 'silent' });
  const cleanup: { name: string; run: () => Promise<void> | void }[] = [];
  const stopAll = async () => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        log.warn({ err: error }, `stopping ${step.name} failed`);
      }
    }
  };
  try {
    const transport =
      deps.transport ?? (await connectBus(config.bus, { logger: log, clientName: 'switchboard' }));
    if (!deps.transport) cleanup.push({ name: 'bus', run: () => transport.close() });
    const redis = config.redisUrl;

    const historyStore = createHistoryStore(config.history);
    cleanup.push({ name: 'history store', run: () => historyStore.close() });
    const history = createHistoryService({
      transport,
      store: historyStore,
      logger: log.child({ component: 'history' }),
      httpPort: false,
    });
    await history.start();
    cleanup.push({ name: 'history', run: () => history.stop() });

    const chatStore: ChatStore = redis
      ? new RedisChatStore({
          url: redis,
          onError: (error) => log.warn({ err: error }, 'chat: redis connection error'),
        })
      : new MemoryChatStore();
    cleanup.push({ name: 'chat store', run: () => chatStore.close() });
    for (const room of config.chat.rooms) await chatStore.createRoom(room);
    const chat = createChatService({
      transport,
      store: chatStore,
      logger: log.child({ component: 'chat' }),
      httpPort: false,
      maxMessageLength: config.chat.maxMessageLength,
      ratePerUserPerSecond: config.chat.ratePerUserPerSecond,
      rateBurst: config.chat.rateBurst,
      autoCreateRooms: config.chat.autoCreateRooms,
    });
    await chat.start();
    cleanup.push({ name: 'chat', run: () => chat.stop() });

    const inbox: InboxStore = redis
      ? new RedisInboxStore({ url: redis, maxPerUser: config.notifications.maxPerUser })
      : new MemoryInboxStore({ maxPerUser: config.notifications.maxPerUser });
    cleanup.push({ name: 'inbox store', run: () => inbox.close() });
    const notifications = createNotificationsService({
      transport,
      store: inbox,
      logger: log.child({ component: 'notifications' }),
      httpPort: false,
      ttlMs: config.notifications.ttlSeconds * 1000,
      sweepIntervalMs: config.notifications.sweepIntervalMs,
    });
    await notifications.start();
    cleanup.push({ name: 'notifications', run: () => notifications.stop() });

    const presenceStore: PresenceStore = redis
      ? RedisPresenceStore.connect(redis)
      : new MemoryPresenceStore();
    cleanup.push({ name: 'presence store', run: () => presenceStore.close() });
    const presence = new PresenceService({
      transport,
      store: presenceStore,
      leaseMs: config.presence.leaseMs,
      sweepMs: config.presence.sweepMs,
      logger: log.child({ component: 'presence' }),
      httpPort: false,
    });
    await presence.start();
    cleanup.push({ name: 'presence', run: () => presence.stop() });

    const apiKey = config.apiKeys?.[0];
    const api = await startApi({
      transport,
      keys: config.apiKeys?.length ? config.apiKeys : null,
      port: config.apiPort,
      host: config.apiHost,
      logger: log.child({ component: 'api' }),
    });
    cleanup.push({ name: 'api', run: () => api.close() });

    const secret = config.jwtSecret ?? generateSecret();
    const issueToken = createTokenIssuer(secret);
    const devTokens = devTokensEnabled(config);
    const forwardOrders = async (order: OrderEvent) => {
      const body = Object.fromEntries(ORDER_FIELDS.filter((f) => f in order).map((f) => [f, order[f]]));
      const res = await fetch(`${api.url}/v1/orders/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: passed on as text
      }
      return { status: res.status, body: parsed };
    };

    let stats: EdgeStats | undefined;
    const web = createWebHandler({
      config: { wsUrl: '/ws', apiBase: '' },
      ...(devTokens ? { tokenIssuer: issueToken } : {}),
      forwardOrders,
      stats: () => (stats ? stats.snapshot() : Promise.reject(new Error('the edge is not started'))),
      assets: await buildWebAssets(),
    });

    const edge = new EdgeNode(
      {
        nodeId: config.nodeId ?? `edge-${process.pid}`,
        host: config.host,
        port: config.port,
        jwtSecret: secret,
        durableNamespaces: ['chat'],
        drainTimeoutMs: config.drainTimeoutMs,
      },
      { transport, logger: log.child({ component: 'edge' }), httpFallback: web },
    );
    await edge.start();
    cleanup.push({ name: 'edge', run: () => edge.close() });
    stats = new EdgeStats(edge);
    const edgeStats = stats;
    cleanup.push({ name: 'stats', run: () => edgeStats.stop() });

    let stopping: Promise<void> | undefined;
    return {
      url: `http://localhost:${edge.port}`,
      port: edge.port,
      wsUrl: `ws://localhost:${edge.port}/ws`,
      apiUrl: api.url,
      edge,
      api,
      devTokens,
      issueToken,
      stop() {
        stopping ??= (async () => {
          if (edge.ready) {
            const drained = await edge.drain();
            log.info(drained, 'edge drained');
          }
          await stopAll();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
