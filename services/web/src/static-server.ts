/**
 * The demo page's HTTP routes as one node:http request handler, for the embedded server to mount:
 * `/` (index.html), `/app.js` (built by esbuild), `/styles.css` and the other files of public/,
 * `/config.json`, and the demo-only routes, each present only when its option is given: `/app.js.map`
 * (`sourceMaps`: the whole demo source), `/dev/token` (a token issuer), `POST /api/orders` (a forwarder,
 * which gets the caller's own `Authorization` header — never a key of the server's) and `/stats.json`.
 * It answers `true` when it took the request, `false` to let the caller route it.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, HttpError, RuntimeErrorCodes } from '@switchboard/runtime/errors';
import { buildWebAssets, type WebAssets } from './bundle.js';

export interface WebConfig {
  /** WebSocket URL of an edge; relative (`/ws`) is resolved against the page. */
  wsUrl: string;
  /** Base URL of the HTTP API. */
  apiBase: string;
}

export interface OrderEvent {
  userId: string;
  orderId: string;
  kind: 'created' | 'paid' | 'shipped' | 'delivered' | 'cancelled';
  [extra: string]: unknown;
}

export interface WebHandlerOptions {
  config: WebConfig;
  /** Issues a demo JWT for a user name; without it `/dev/token` is 404. */
  tokenIssuer?: (user: string) => Promise<string>;
  /**
   * Forwards an order event to the HTTP API with the caller's `Authorization` header (the API checks the
   * key: a page on a public port must not lend its visitors the server's own); without it `/api/orders`
   * is 404.
   */
  forwardOrders?: (body: OrderEvent, caller: OrderCaller) => Promise<{ status: number; body: unknown }>;
  /** Serve `/app.js.map` and link it from app.js (demo mode only: it is the whole demo source). Default false. */
  sourceMaps?: boolean;
  /** Node health for `/stats.json`; without it 404. */
  stats?: () => Promise<object>;
  /** Prebuilt assets (e.g. from `buildWebAssets()` at start); default: built on the first request. */
  assets?: WebAssets | Promise<WebAssets>;
  /** Static files; default services/web/public. */
  publicDir?: string;
}

export interface OrderCaller {
  /** The request's `Authorization` header, passed on as is. */
  readonly authorization?: string;
}

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export const MAX_ORDER_BODY_BYTES = 16 * 1024;
const USER_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const ORDER_KINDS = new Set(['created', 'paid', 'shipped', 'delivered', 'cancelled']);
const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: message }, extra);
}

function etagOf(content: string | Buffer): string {
  return `"${createHash('sha1').update(content).digest('base64url').slice(0, 27)}"`;
}

/** A static body with an ETag; `no-cache` = always revalidate (the files are not fingerprinted). */
function sendAsset(
  req: IncomingMessage,
  res: ServerResponse,
  content: string | Buffer,
  type: string,
  etag: string,
): void {
  const headers: Record<string, string | number> = {
    ...COMMON_HEADERS,
    'content-type': type,
    'cache-control': 'no-cache',
    etag,
  };
  if (type.startsWith('text/html')) headers['content-security-policy'] = CSP;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers['content-length'] = Buffer.byteLength(content);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : content);
}

/** Rejects `..` segments, backslashes, NUL and malformed escapes in the raw path (before any normalisation). */
function safePath(rawUrl: string): string | undefined {
  const rawPath = rawUrl.split('?')[0] ?? '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('/') || decoded.includes('\\') || decoded.includes('\0')) return undefined;
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return undefined;
  return decoded;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new HttpError(RuntimeErrorCodes.BodyTooLarge, `body larger than ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(RuntimeErrorCodes.BodyTooLarge, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

function parseOrder(body: Buffer): OrderEvent {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(ErrorCodes.BadRequest, 'body must be JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(ErrorCodes.BadRequest, 'body must be a JSON object');
  }
  const order = value as Record<string, unknown>;
  for (const field of ['userId', 'orderId'] as const) {
    const v = order[field];
    if (typeof v !== 'string' || v.trim() === '' || v.length > 200) {
      throw new HttpError(ErrorCodes.BadRequest, `"${field}" must be a non-empty string`);
    }
  }
  if (typeof order.kind !== 'string' || !ORDER_KINDS.has(order.kind)) {
    throw new HttpError(ErrorCodes.BadRequest, `"kind" must be one of ${[...ORDER_KINDS].join(', ')}`);
  }
  return order as OrderEvent;
}

export function createWebHandler(options: WebHandlerOptions): WebHandler {
  const publicDir = options.publicDir ?? DEFAULT_PUBLIC_DIR;
  const sourceMaps = options.sourceMaps ?? false;
  // Only top-level files of public/ are served: the set is fixed here, nothing outside can be reached.
  const publicFiles = new Set(
    readdirSync(publicDir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && CONTENT_TYPES[extname(entry.name)] !== undefined)
      .map((entry) => entry.name),
  );
  let assets: Promise<WebAssets & { jsTag: string; mapTag: string }> | undefined;
  const getAssets = () => {
    assets ??= Promise.resolve(options.assets ?? buildWebAssets()).then((a) => {
      // Without maps, app.js must not point at one: the browser would ask for it on every devtools open.
      const appJs = sourceMaps ? a.appJs : a.appJs.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
      return { ...a, appJs, jsTag: etagOf(appJs), mapTag: etagOf(a.appJsMap) };
    });
    // A failed build is retried on the next request.
    assets.catch(() => {
      assets = undefined;
    });
    return assets;
  };
  if (options.assets) void getAssets().catch(() => {});

  const run = (res: ServerResponse, work: () => Promise<void>) => {
    work().catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error.status, error.message);
      else sendError(res, 500, error instanceof Error ? error.message : 'internal error');
    });
  };

  const getOnly = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method === 'GET' || req.method === 'HEAD') return true;
    sendError(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    return false;
  };

  return (req, res) => {
    const path = safePath(req.url ?? '/');
    if (path === undefined) {
      sendError(res, 400, 'bad path');
      return true;
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;

    switch (path) {
      case '/app.js':
      case '/app.js.map':
        if (path === '/app.js.map' && !sourceMaps) {
          sendError(res, 404, 'source maps are served in demo mode only');
          return true;
        }
        if (!getOnly(req, res)) return true;
        run(res, async () => {
          const a = await getAssets();
          if (path === '/app.js') sendAsset(req, res, a.appJs, CONTENT_TYPES['.js']!, a.jsTag);
          else sendAsset(req, res, a.appJsMap, CONTENT_TYPES['.map']!, a.mapTag);
        });
        return true;

      case '/config.json':
        if (!getOnly(req, res)) return true;
        sendJson(res, 200, { wsUrl: options.config.wsUrl, apiBase: options.config.apiBase });
        return true;

      case '/dev/token': {
        const issuer = options.tokenIssuer;
        if (!issuer) {
          sendError(res, 404, 'dev tokens are disabled');
          return true;
        }
        if (!getOnly(req, res)) return true;
        const user = query.get('user') ?? '';
        if (!USER_PATTERN.test(user)) {
          sendError(res, 400, '"user" must be 1-64 letters, digits, ".", "_" or "-"');
          return true;
        }
        run(res, async () => sendJson(res, 200, { token: await issuer(user) }));
        return true;
      }

      case '/api/orders': {
        const forward = options.forwardOrders;
        if (!forward) {
          sendError(res, 404, 'order simulation is disabled');
          return true;
        }
        if (req.method !== 'POST') {
          sendError(res, 405, 'method not allowed', { allow: 'POST' });
          return true;
        }
        run(res, async () => {
          const order = parseOrder(await readBody(req, MAX_ORDER_BODY_BYTES));
          let answer: { status: number; body: unknown };
          try {
            const authorization = req.headers.authorization;
            answer = await forward(order, authorization ? { authorization } : {});
          } catch (error) {
            throw new HttpError(
              RuntimeErrorCodes.Upstream,
              `orders: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
          if (typeof answer.body === 'string') {
            res.writeHead(answer.status, {
              ...COMMON_HEADERS,
              'content-type': 'text/plain; charset=utf-8',
              'cache-control': 'no-store',
            });
            res.end(answer.body);
          } else sendJson(res, answer.status, answer.body ?? null);
        });
        return true;
      }

      case '/stats.json': {
        const stats = options.stats;
        if (!stats) {
          sendError(res, 404, 'stats are not available');
          return true;
        }
        if (!getOnly(req, res)) return true;
        run(res, async () => {
          let body: object;
          try {
            body = await stats();
          } catch (error) {
            throw new HttpError(
              ErrorCodes.Unavailable,
              `stats: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
          sendJson(res, 200, body);
        });
        return true;
      }
    }

    const name = path === '/' ? 'index.html' : path.slice(1);
    if (!publicFiles.has(name)) return false;
    if (!getOnly(req, res)) return true;
    run(res, async () => {
      const content = await readFile(join(publicDir, name));
      sendAsset(req, res, content, CONTENT_TYPES[extname(name)]!, etagOf(content));
    });
    return true;
  };
}
