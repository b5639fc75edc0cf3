/** The `/metrics` response of a plain node:http server: the registry's text, or a 500 when a collector fails. */
import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export function serveMetrics(registry: Registry, res: ServerResponse): void {
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
    },
    () => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'metrics unavailable' }));
    },
  );
}
