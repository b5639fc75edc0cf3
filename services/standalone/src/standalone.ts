/**
 * `startStandalone(config)`: the edge, history, chat, notifications, presence, the HTTP API and the demo
 * page in one process on one bus. The edge owns the public port; every request it does not serve itself
 * (`/ws`, `/healthz`, `/readyz`, `/metrics`) goes to the demo page's handler: `/`, `/app.js`,
 * `/config.json`, and in demo mode only `/dev/token`, `/app.js.map`, `POST /api/orders` (forwarded to the
 * API's `POST /v1/orders/events` with the caller's own key) and `/stats.json`. On a non-loopback address
 * `/metrics` and `/stats.json` move to the internal listener. The API listens on its own (loopback by
 * default) port. `/metrics` carries the edge's, history's, chat's, notifications' and the API's series and
 * Node's default metrics (presence keeps its own registry: its options take none).
 */

import { type RunningApi, startApi } from '@switchboard/api';
import { connectBus, lifecycleBounds, type Transport } from '@switchboard/bus';
import {
  type ChatStore,
  chatServiceSettings,
  createChatService,
  MemoryChatStore,
  RedisChatStore,
} from '@switchboard/chat';
import { EdgeNode, type HttpFallback } from '@switchboard/edge';
import { createHistoryService, createHistoryStore, historyServiceSettings } from '@switchboard/history';
import { createProcessRegistry } from '@switchboard/metrics';
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
import {
  buildWebAssets,
  createDevTokenIssuer,
  createWebHandler,
  generateDevSecret,
  type OrderCaller,
  type OrderEvent,
} from '@switchboard/web';
import { type Logger, pino } from 'pino';
import type { AllInOneConfig } from './config.js';
import { type InternalServer, startInternalServer } from './internal-server.js';
import { isLoopback } from './loopback.js';
import { adoptMetrics } from './metrics-registry.js';
import { EdgeStats } from './stats.js';

export interface StandaloneDeps {
  readonly logger?: Logger;
  /** A transport to use (and not close); default: `connectBus(config.edge.bus)`, closed by stop(). */
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
  /** Demo mode: `/dev/token`, `/api/orders`, `/app.js.map`, `/stats.json` on the public port. */
  readonly demo: boolean;
  /** Base URL of the internal listener (`/metrics`, `/stats.json`, health), when it runs. */
  readonly internalUrl: string | undefined;
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
      deps.transport ??
      (await connectBus(config.edge.bus, {
        logger: log,
        clientName: 'switchboard',
        topicBounds: lifecycleBounds(config.edge.lifecycle),
      }));
    if (!deps.transport) cleanup.push({ name: 'bus', run: () => transport.close() });
    const redis = config.redisUrl;
    // Shared by the services, served through the edge's registry with the API's (metrics-registry.ts).
    const metricsRegistry = createProcessRegistry();

    const historyStore = createHistoryStore(config.history);
    cleanup.push({ name: 'history store', run: () => historyStore.close() });
    const history = createHistoryService({
      transport,
      store: historyStore,
      logger: log.child({ component: 'history' }),
      httpPort: false,
      metricsRegistry,
      ...historyServiceSettings(config.history),
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
      metricsRegistry,
      ...chatServiceSettings(config.chat),
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
      metricsRegistry,
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

    const api = await startApi({
      transport,
      keys: config.apiKeys?.length ? config.apiKeys : null,
      port: config.apiPort,
      host: config.apiHost,
      logger: log.child({ component: 'api' }),
    });
    cleanup.push({ name: 'api', run: () => api.close() });

    const node = config.edge.node;
    // No key configured: a per-run secret, so only tokens this process signs (demo or issueToken) connect.
    const secret = node.jwksUrl ? undefined : (node.jwtSecret ?? generateDevSecret());
    const issueToken = secret
      ? createDevTokenIssuer(secret)
      : () => Promise.reject(new Error('tokens are verified with SWITCHBOARD_JWKS_URL: sign them there'));
    const { demo } = config;
    const publicLoopback = isLoopback(node.host ?? '');
    // The caller's own Authorization goes to the API, which checks it against API_KEYS: the public port
    // must not lend its visitors the server's key.
    const forwardOrders = async (order: OrderEvent, caller: OrderCaller) => {
      const body = Object.fromEntries(ORDER_FIELDS.filter((f) => f in order).map((f) => [f, order[f]]));
      const res = await fetch(`${api.url}/v1/orders/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(caller.authorization ? { authorization: caller.authorization } : {}),
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
    const snapshot = () => (stats ? stats.snapshot() : Promise.reject(new Error('the edge is not started')));
    const web = createWebHandler({
      config: { wsUrl: '/ws', apiBase: '' },
      ...(demo ? { tokenIssuer: issueToken, forwardOrders, sourceMaps: true } : {}),
      ...(demo && publicLoopback ? { stats: snapshot } : {}),
      assets: await buildWebAssets(),
    });
    const fallback: HttpFallback = publicLoopback
      ? web
      : Object.assign(
          (req: Parameters<HttpFallback>[0], res: Parameters<HttpFallback>[1]) => {
            if ((req.url ?? '').split('?')[0] !== '/metrics') return web(req, res);
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({
                error: 'not on the public port; scrape the internal listener (SWITCHBOARD_INTERNAL_PORT)',
              }),
            );
            return true;
          },
          { claims: ['/metrics'] },
        );

    const edge = new EdgeNode(
      { ...node, ...(secret ? { jwtSecret: secret } : {}) },
      { transport, logger: log.child({ component: 'edge' }), httpFallback: fallback },
    );
    adoptMetrics(edge.metrics.registry, metricsRegistry);
    adoptMetrics(edge.metrics.registry, api.registry);
    await edge.start();
    cleanup.push({ name: 'edge', run: () => edge.close() });
    stats = new EdgeStats(edge);
    const edgeStats = stats;
    cleanup.push({ name: 'stats', run: () => edgeStats.stop() });

    let internal: InternalServer | undefined;
    if (config.internal) {
      internal = await startInternalServer({ ...config.internal, edge, stats: snapshot });
      const started = internal;
      cleanup.push({ name: 'internal listener', run: () => started.close() });
    }
    const shown = publicLoopback || node.host === '0.0.0.0' || node.host === '::' ? 'localhost' : node.host;

    let stopping: Promise<void> | undefined;
    return {
      url: `http://${shown}:${edge.port}`,
      port: edge.port,
      wsUrl: `ws://${shown}:${edge.port}/ws`,
      apiUrl: api.url,
      edge,
      api,
      demo,
      internalUrl: internal?.url,
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
