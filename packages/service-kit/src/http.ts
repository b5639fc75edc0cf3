/** The service's own small HTTP server: `/healthz` (process up), `/readyz` (consuming), `/metrics`. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HttpState {
  readonly service: string;
  readonly ready: () => boolean;
  readonly registry: Registry;
}

export function createHttpServer(state: HttpState): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    switch (path) {
      case '/healthz':
        return json(res, 200, { status: 'ok', service: state.service });
      case '/readyz': {
        const ready = state.ready();
        return json(res, ready ? 200 : 503, {
          status: ready ? 'ready' : 'not ready',
          service: state.service,
        });
      }
      case '/metrics':
        state.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': state.registry.contentType });
            res.end(text);
          },
          () => json(res, 500, { error: 'metrics unavailable' }),
        );
        return;
      default:
        return json(res, 404, { error: 'not found' });
    }
  });
  // Scrapers and probes keep connections alive; do not let them hold up stop().
  server.keepAliveTimeout = 5_000;
  return server;
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

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await closed;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
