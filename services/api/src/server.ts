/**
 * `startApi`: the HTTP server of the publish API. Routing, auth and error mapping live here; the `/v1`
 * handlers live in routes.ts. `/healthz`, `/readyz`, `/metrics`, `/v1/openapi.json` and the admin page's
 * static assets (`/admin`, admin-page.ts; its fetches to `/v1` carry a key) need no key.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BusError, BusErrorCodes, BusUnavailableError, type Transport } from '@switchboard/bus';
import { ErrorCodes } from '@switchboard/protocol';
import { Publisher, PublisherError } from '@switchboard/publisher';
import {
  closeServer,
  healthRoutes,
  processTracing,
  RuntimeErrorCodes,
  SwitchboardError,
  silentLogger,
  specOf,
  type Tracing,
} from '@switchboard/runtime';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { isAdminAsset, serveAdminAsset } from './admin-page.js';
import { createAuthenticator } from './auth.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_QUERY_TIMEOUT_MS } from './config.js';
import { HttpError } from './errors.js';
import { ApiMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { BusQuerier } from './query.js';
import { type RequestTrace, startRequestTrace } from './request-trace.js';
import { matchRoute, type RouteContext } from './routes.js';

export interface ApiOptions {
  readonly transport: Transport;
  /** Accepted API keys. `null` disables authentication (embedded demo only); required otherwise. */
  readonly keys: readonly string[] | null;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly maxBodyBytes?: number;
  readonly queryTimeoutMs?: number;
  /** Node id of the API's bus inbox (answers to presence/history queries). Default `api-<random>`. */
  readonly nodeId?: string;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /** A server span per authenticated `/v1` request (request-trace.ts). Default: the process's. */
  readonly tracing?: Tracing;
}

export interface RunningApi {
  readonly url: string;
  readonly port: number;
  readonly nodeId: string;
  readonly registry: Registry;
  /** Stops accepting requests, waits for in-flight ones, closes the bus inbox. Idempotent. */
  close(): Promise<void>;
}

export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const log = options.logger ?? silentLogger();
  const registry = options.registry ?? new Registry();
  const metrics = new ApiMetrics(registry);
  const tracing = options.tracing ?? processTracing('switchboard-api');
  const auth = createAuthenticator(options.keys ?? undefined);
  const nodeId = options.nodeId ?? `api-${randomBytes(6).toString('hex')}`;
  const querier = await BusQuerier.open(
    options.transport,
    nodeId,
    options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
  );
  const ctx: RouteContext = {
    transport: options.transport,
    publisher: new Publisher(options.transport),
    querier,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  let closing = false;
  // The one health handler of every process; it adds Node's default metrics (event-loop lag, heap, GC).
  const health = healthRoutes({
    identity: { service: 'api' },
    ready: () => !closing && querier.open,
    registry,
  });

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    let label = 'unmatched';
    res.once('finish', () => {
      metrics.requests.inc({ route: label, method: req.method ?? '', status: String(res.statusCode) });
      metrics.duration.observe({ route: label }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    handle(req, res, (route) => {
      label = route;
    }).catch((error: unknown) => {
      log.error({ err: error }, 'request handling failed');
      if (!res.headersSent) send(res, 500, internal().toJSON());
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse, labelled: (route: string) => void) {
    const url = new URL(req.url ?? '/', 'http://api');
    const method = req.method ?? 'GET';
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    let trace: RequestTrace | undefined;
    try {
      if (health(req, res)) return labelled(path);
      if (path === '/v1/openapi.json') {
        labelled(path);
        return send(res, 200, openApiDocument);
      }
      if (isAdminAsset(path)) {
        labelled(path);
        return serveAdminAsset(path, method, res);
      }
      const match = matchRoute(method, path);
      if (!match) throw new HttpError(RuntimeErrorCodes.NotFound, `no route ${path}`);
      if ('allowed' in match)
        throw new HttpError(RuntimeErrorCodes.MethodNotAllowed, `${method} is not allowed on ${path}`, {
          headers: { allow: match.allowed.join(', ') },
        });
      labelled(match.route.path);
      if (!auth.check(req.headers))
        throw new HttpError(
          ErrorCodes.Unauthorized,
          'a valid API key is required (Authorization: Bearer <key> or X-API-Key)',
          {
            headers: { 'www-authenticate': 'Bearer realm="switchboard"' },
          },
        );
      // Only once the key is checked: an unauthenticated caller's traceparent is not continued.
      trace = startRequestTrace(tracing, method, match.route.path, req.headers.traceparent);
      const result = await match.route.handle(ctx, {
        req,
        params: match.params,
        query: url.searchParams,
        traceparent: trace.traceparent,
      });
      send(res, result.status, result.body);
      trace.end(result.status);
    } catch (error) {
      const httpError = toHttpError(error);
      trace?.end(httpError.status, error);
      if (httpError.status >= 500)
        log.warn(
          error instanceof HttpError ? { code: error.code, path } : { err: error, path },
          `request failed: ${httpError.message}`,
        );
      // A body not (fully) read is not drained: the connection closes after the answer.
      const unread = !req.complete;
      send(res, httpError.status, httpError.toJSON(), {
        ...httpError.headers,
        ...(unread ? { connection: 'close' } : {}),
      });
      if (unread) res.once('finish', () => req.socket.destroySoon());
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  log.info({ port, nodeId }, 'api listening');

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    nodeId,
    registry,
    close() {
      closed ??= (async () => {
        closing = true;
        await closeServer(server);
        await querier.close();
      })();
      return closed;
    },
  };
}

const internal = () => new HttpError(ErrorCodes.Internal, 'internal error');

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  // 504: the message reached a broker connection that died before the broker confirmed, so it may have been
  // delivered (outcome unknown; a retry may duplicate it). 503: it was not published; retrying is safe.
  if (error instanceof BusUnavailableError && error.maybeDelivered)
    return new HttpError(BusErrorCodes.OutcomeUnknown, error.message);
  if (error instanceof BusError)
    return new HttpError(specOf(error), error.message, { headers: { 'retry-after': '1' } });
  if (error instanceof PublisherError) return new HttpError(ErrorCodes.BadRequest, error.message);
  // Any other typed error of ours answers with the status its spec gives.
  if (error instanceof SwitchboardError && error.httpStatus < 500)
    return new HttpError(specOf(error), error.message);
  return internal();
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
