/**
 * Plain HTTP routes of an edge: health, readiness, Prometheus metrics. `/ws` is handled on `upgrade`.
 * Any other path goes to the optional fallback handler (an embedding process serving its own pages on the
 * edge's port); without one, or when it declines, the answer is 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * Takes a request the edge does not serve itself; answers `false` to let the edge reply 404. `claims`
 * lists edge paths the fallback serves instead of the edge (never `/ws`): an embedding process that puts
 * its own access rule on `/metrics` claims it.
 */
export type HttpFallback = ((req: IncomingMessage, res: ServerResponse) => boolean) & {
  readonly claims?: readonly string[];
};

export interface HttpState {
  readonly nodeId: string;
  readonly ready: () => boolean;
  readonly registry: Registry;
  readonly fallback?: HttpFallback;
}

const EDGE_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/ws']);

export function createHttpHandler(state: HttpState) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!EDGE_PATHS.has(path) || (path !== '/ws' && state.fallback?.claims?.includes(path))) {
      if (!state.fallback?.(req, res)) json(res, 404, { error: 'not found' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: 'method not allowed' });
      return;
    }
    switch (path) {
      case '/healthz':
        json(res, 200, { status: 'ok', node: state.nodeId });
        return;
      case '/readyz':
        json(res, state.ready() ? 200 : 503, {
          status: state.ready() ? 'ready' : 'not ready',
          node: state.nodeId,
        });
        return;
      case '/metrics':
        state.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': state.registry.contentType });
            res.end(text);
          },
          () => json(res, 500, { error: 'metrics unavailable' }),
        );
        return;
      case '/ws':
        json(res, 426, { error: 'WebSocket upgrade required' });
        return;
      default:
        json(res, 404, { error: 'not found' });
    }
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
