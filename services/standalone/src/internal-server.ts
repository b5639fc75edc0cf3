/**
 * The all-in-one's internal listener, like Centrifugo's internal_port: `/metrics` (the edge's Prometheus
 * registry, which carries the services' and the API's too), `/healthz` and `/readyz` from the one health
 * server every process uses, plus `/stats.json`, on an address meant for the private network (127.0.0.1 by
 * default). When the public port is not loopback, `/metrics` and `/stats.json` are served here only, so that
 * exposing the WebSocket does not expose the operator's view with it.
 */
import type { EdgeNode } from '@switchboard/edge';
import { pathOf, sendJson, startHealthServer } from '@switchboard/runtime';
import type { Stats } from './stats.js';

export interface InternalServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startInternalServer(options: {
  readonly host: string;
  readonly port: number;
  readonly edge: EdgeNode;
  readonly stats: () => Promise<Stats>;
}): Promise<InternalServer> {
  const { edge } = options;
  const server = await startHealthServer({
    host: options.host,
    port: options.port,
    identity: { node: edge.nodeId },
    ready: () => edge.ready,
    registry: edge.metrics.registry,
    extra: (req, res) => {
      if (pathOf(req) !== '/stats.json') return false;
      options.stats().then(
        (stats) => sendJson(res, 200, stats),
        (error: unknown) => sendJson(res, 503, { error: `stats: ${(error as Error).message}` }),
      );
      return true;
    },
  });
  return { url: server.url, close: () => server.close() };
}
