/**
 * The demo page as its own small process (production topology: nginx routes `/ws` to the edges, `/v1/` to
 * the API and everything else here). Serves the page with the config `{ wsUrl, apiBase }` and `/healthz`.
 * Demo mode (WEB_DEV_TOKENS=true, which needs SWITCHBOARD_JWT_SECRET) adds the demo-only routes:
 * short-lived HS256 demo tokens on `/dev/token`, `/app.js.map`, and — with WEB_API_URL — `POST /api/orders`
 * forwarded to the API's `/v1/orders/events` with the caller's own `Authorization` header (the API decides;
 * the server lends no key of its own). `/metrics` has Node's default metrics (event-loop lag, heap, GC) for
 * the operator's scrape; nginx does not pass it on (deploy/nginx.conf). Environment:
 *   WEB_HTTP_PORT (8088), WEB_HOST (0.0.0.0), WEB_WS_URL (/ws), WEB_API_BASE (/api),
 *   WEB_API_URL (e.g. http://127.0.0.1:8090; unset: no order forwarding),
 *   WEB_DEV_TOKENS (false), WEB_DEV_TOKEN_TTL_SECONDS (3600), SWITCHBOARD_JWT_SECRET.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { createProcessRegistry, serveMetrics } from '@switchboard/metrics';
import { buildWebAssets } from './bundle.js';
import {
  createWebHandler,
  type OrderCaller,
  type OrderEvent,
  type WebHandlerOptions,
} from './static-server.js';

type Env = Readonly<Record<string, string | undefined>>;

class WebConfigError extends Error {}

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new WebConfigError(`${name}: "${raw}" is not a port (0-65535)`);
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '' || ['0', 'false', 'no', 'off'].includes(raw)) return false;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  throw new WebConfigError(`${name}: "${env[name]}" is not a boolean; use true or false`);
}

export function readWebConfig(env: Env) {
  const apiUrl = env.WEB_API_URL || undefined;
  if (apiUrl && !URL.canParse(apiUrl)) throw new WebConfigError(`WEB_API_URL: "${apiUrl}" is not a URL`);
  const devTokens = flag(env, 'WEB_DEV_TOKENS');
  const secret = env.SWITCHBOARD_JWT_SECRET || undefined;
  if (devTokens && !secret)
    throw new WebConfigError('WEB_DEV_TOKENS: is true but SWITCHBOARD_JWT_SECRET is not set');
  const ttl = Number(env.WEB_DEV_TOKEN_TTL_SECONDS || 3600);
  if (!Number.isInteger(ttl) || ttl < 1)
    throw new WebConfigError('WEB_DEV_TOKEN_TTL_SECONDS: must be an integer >= 1');
  const warnings = env.WEB_API_KEY
    ? [
        'WEB_API_KEY is no longer used and is ignored: /api/orders passes on the caller’s own Authorization header; unset it',
      ]
    : [];
  return {
    warnings,
    demo: devTokens,
    host: env.WEB_HOST || '0.0.0.0',
    port: port(env, 'WEB_HTTP_PORT', 8088),
    wsUrl: env.WEB_WS_URL || '/ws',
    apiBase: env.WEB_API_BASE || '/api',
    apiUrl,
    devTokenSecret: devTokens ? secret : undefined,
    devTokenTtlSeconds: ttl,
  };
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A compact HS256 JWT `{ sub, iat, exp }`, what the edge verifies with SWITCHBOARD_JWT_SECRET. */
export function signDevToken(secret: string, user: string, ttlSeconds: number): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub: user, iat: now, exp: now + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

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
  const options: WebHandlerOptions = {
    config: { wsUrl: config.wsUrl, apiBase: config.apiBase },
    assets: buildWebAssets(),
    sourceMaps: config.demo,
  };
  for (const warning of config.warnings)
    console.log(JSON.stringify({ level: 'warn', service: 'web', msg: warning }));
  const { apiUrl, devTokenSecret, devTokenTtlSeconds } = config;
  if (apiUrl && config.demo) options.forwardOrders = (order, caller) => forwardOrder(apiUrl, order, caller);
  if (devTokenSecret)
    options.tokenIssuer = async (user) => signDevToken(devTokenSecret, user, devTokenTtlSeconds);
  const handler = createWebHandler(options);
  const registry = createProcessRegistry();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD'))
      return serveMetrics(registry, res);
    if (!handler(req, res)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : config.port;
  console.log(
    JSON.stringify({
      level: 'info',
      service: 'web',
      port: bound,
      devTokens: Boolean(devTokenSecret),
      orders: Boolean(options.forwardOrders),
      msg: 'web started',
    }),
  );
  const stop = (signal: string) => {
    console.log(JSON.stringify({ level: 'info', service: 'web', signal, msg: 'shutting down' }));
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof WebConfigError ? error.message : error);
  process.exit(1);
});
