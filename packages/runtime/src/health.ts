/**
 * The one health, readiness and metrics endpoint set of every process (edge, services, API, web page,
 * all-in-one): `/healthz` (the process is up), `/readyz` (it should get traffic: 503 while starting or
 * draining), `/metrics` (its Prometheus registry, with Node's default metrics — event-loop lag, heap, GC —
 * always added). Served on a process's own small server (`startHealthServer`) or mounted into a server it
 * already has (`healthRoutes`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectProcessMetrics, type Registry, serveMetrics } from '@switchboard/metrics';

export const HEALTH_PATHS: readonly string[] = Object.freeze(['/healthz', '/readyz', '/metrics']);

export interface HealthOptions {
  /** Fields that name the process in each answer: `{ service: 'chat' }`, `{ node: 'edge-1' }`. */
  readonly identity: Readonly<Record<string, string>>;
  /** Whether the process should receive traffic now. */
  readonly ready: () => boolean;
  readonly registry: Registry;
}

/** Answers a request for one of HEALTH_PATHS and returns true; returns false for any other path. */
export type HealthRoutes = (req: IncomingMessage, res: ServerResponse) => boolean;

export function healthRoutes(options: HealthOptions): HealthRoutes {
  const registry = collectProcessMetrics(options.registry);
  return (req, res) => {
    const path = pathOf(req);
    if (!HEALTH_PATHS.includes(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/metrics') serveMetrics(registry, res);
    else if (path === '/healthz') sendJson(res, 200, { status: 'ok', ...options.identity });
    else {
      const ready = options.ready();
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...options.identity });
    }
    return true;
  };
}

/** The path of a request without its query string. */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] || '/';
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export interface HealthServerOptions extends HealthOptions {
  readonly port: number;
  /** Default: every interface. */
  readonly host?: string;
  /** Further routes of this server (the all-in-one's `/stats.json`); false: answer 404. */
  readonly extra?: HealthRoutes;
}

export interface HealthServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A server answering only the health routes (and `extra`); every other path is a 404. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const routes = healthRoutes(options);
  const server = createServer((req, res) => {
    if (routes(req, res) || options.extra?.(req, res)) return;
    sendJson(res, 404, { error: 'not found' });
  });
  // Scrapers and probes keep connections alive; do not let them hold up close().
  server.keepAliveTimeout = 5_000;
  const port = await listen(server, options.port, options.host);
  const host = options.host ?? '127.0.0.1';
  return {
    server,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => closeServer(server),
  };
}

export async function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, closes idle keep-alive connections and waits for requests in flight. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await closed;
}
