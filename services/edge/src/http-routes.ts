/**
 * Plain HTTP routes of an edge: `/healthz`, `/readyz` and `/metrics` come from the one health handler every
 * process uses (@switchboard/runtime); `/ws` is handled on `upgrade`. Any other path goes to the optional
 * fallback handler (an embedding process serving its own pages on the edge's port); without one, or when it
 * declines, the answer is 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthRoutes, pathOf, sendJson } from '@switchboard/runtime';
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

export function createHttpHandler(state: HttpState) {
  const health = healthRoutes({
    identity: { node: state.nodeId },
    ready: state.ready,
    registry: state.registry,
  });
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = pathOf(req);
    const claimed = path !== '/ws' && state.fallback?.claims?.includes(path);
    if (!claimed && health(req, res)) return;
    if (path === '/ws') {
      sendJson(res, 426, { error: 'WebSocket upgrade required' });
      return;
    }
    if (!state.fallback?.(req, res)) sendJson(res, 404, { error: 'not found' });
  };
}
