/**
 * The all-in-one's internal listener, like Centrifugo's internal_port: `/metrics` (the edge's Prometheus
 * registry, which carries the services' and the API's too), `/stats.json`, `/healthz` and `/readyz`, on an
 * address meant for the private network (127.0.0.1 by default). When the public port is not loopback,
 * `/metrics` and `/stats.json` are served here only, so that exposing the WebSocket does not expose the
 * operator's view with it.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EdgeNode } from '@switchboard/edge';
import { serveMetrics } from '@switchboard/metrics';
import type { Stats } from './stats.js';

export interface InternalServer {
  readonly url: string;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function startInternalServer(options: {
  readonly host: string;
  readonly port: number;
  readonly edge: EdgeNode;
  readonly stats: () => Promise<Stats>;
}): Promise<InternalServer> {
  const { edge } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    switch (path) {
      case '/metrics':
        return serveMetrics(edge.metrics.registry, res);
      case '/stats.json':
        options.stats().then(
          (stats) => json(res, 200, stats),
          (error: unknown) => json(res, 503, { error: `stats: ${(error as Error).message}` }),
        );
        return;
      case '/healthz':
        return json(res, 200, { status: 'ok', node: edge.nodeId });
      case '/readyz':
        return json(res, edge.ready ? 200 : 503, {
          status: edge.ready ? 'ready' : 'not ready',
          node: edge.nodeId,
        });
      default:
        return json(res, 404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
