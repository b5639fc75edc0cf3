/**
 * The demo page as its own small process (production topology: nginx routes `/ws` to the edges, `/v1/` to
 * the API and everything else here). Serves the page with the config `{ wsUrl, apiBase }`, and `/healthz`,
 * `/readyz`, `/metrics` (Node's default metrics: event-loop lag, heap, GC) from the one health handler
 * every process uses; nginx does not pass `/metrics` on (deploy/nginx.conf). Demo mode (WEB_DEV_TOKENS=true,
 * which needs SWITCHBOARD_JWT_SECRET) adds the demo-only routes: short-lived HS256 demo tokens on
 * `/dev/token`, `/app.js.map`, and — with WEB_API_URL — `POST /api/orders` forwarded to the API's
 * `/v1/orders/events` with the caller's own `Authorization` header (the API decides; the server lends no key
 * of its own). Settings: config.ts.
 */
import { createServer } from 'node:http';
import { createProcessRegistry } from '@switchboard/metrics';
import {
  closeServer,
  configWarnings,
  createLogger,
  healthRoutes,
  listen,
  runMain,
  sendJson,
  shutdownOnSignals,
} from '@switchboard/runtime';
import { buildWebAssets } from './bundle.js';
import { readWebConfig, webConfigSpec } from './config.js';
import { createDevTokenIssuer } from './dev-tokens.js';
import {
  createWebHandler,
  type OrderCaller,
  type OrderEvent,
  type WebHandlerOptions,
} from './static-server.js';

async function forwardOrder(apiUrl: string, order: OrderEvent, caller: OrderCaller) {
  const { userId, orderId, kind, details } = order;
  const res = await fetch(new URL('/v1/orders/events', apiUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(caller.authorization ? { authorization: caller.authorization } : {}),
    },
    body: JSON.stringify({ userId, orderId, kind, ...(details ? { details } : {}) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text answer
  }
  return { status: res.status, body };
}

async function main(): Promise<void> {
  const config = readWebConfig(process.env);
  const log = createLogger('web', { level: config.logLevel, base: { service: 'web' } });
  for (const warning of [...config.warnings, ...configWarnings(process.env, webConfigSpec, 'the web page')])
    log.warn(warning);
  const options: WebHandlerOptions = {
    config: { wsUrl: config.wsUrl, apiBase: config.apiBase },
    assets: buildWebAssets(),
    sourceMaps: config.demo,
  };
  const { apiUrl, devTokenSecret, devTokenTtlSeconds } = config;
  if (apiUrl && config.demo) options.forwardOrders = (order, caller) => forwardOrder(apiUrl, order, caller);
  if (devTokenSecret) options.tokenIssuer = createDevTokenIssuer(devTokenSecret, devTokenTtlSeconds);
  const handler = createWebHandler(options);
  let stopping = false;
  const health = healthRoutes({
    identity: { service: 'web' },
    ready: () => !stopping,
    registry: createProcessRegistry(),
  });
  const server = createServer((req, res) => {
    if (health(req, res) || handler(req, res)) return;
    sendJson(res, 404, { error: 'not found' });
  });
  const port = await listen(server, config.port, config.host);
  log.info(
    { port, devTokens: Boolean(devTokenSecret), orders: Boolean(options.forwardOrders) },
    'web started',
  );
  shutdownOnSignals(log, [
    async () => {
      stopping = true;
    },
    { name: 'close http server', run: () => closeServer(server) },
  ]);
}

await runMain(main);
