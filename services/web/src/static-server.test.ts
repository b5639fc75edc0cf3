import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebHandler, MAX_ORDER_BODY_BYTES, type WebHandlerOptions } from './static-server.js';

const config = { wsUrl: 'ws://127.0.0.1:9999/ws', apiBase: 'http://127.0.0.1:9998' };
const assets = { appJs: 'console.log("app");\n//# sourceMappingURL=app.js.map\n', appJsMap: '{"version":3}' };

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server with the handler and a 404 fallback for what it declines; returns its base URL. */
async function serve(options: Partial<WebHandlerOptions> = {}): Promise<string> {
  const handler = createWebHandler({ config, assets, ...options });
  server = createServer((req, res) => {
    if (!handler(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('fallback');
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A request with the path sent as is (fetch would normalise `/../`). */
function raw(base: string, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createWebHandler: static files', () => {
  it.each([
    ['/', 'text/html; charset=utf-8', 'data-testid="name-input"'],
    ['/index.html', 'text/html; charset=utf-8', '<script type="module" src="/app.js">'],
    ['/styles.css', 'text/css; charset=utf-8', '.messages'],
    ['/app.js', 'text/javascript; charset=utf-8', 'console.log("app")'],
    ['/favicon.svg', 'image/svg+xml', '<svg'],
  ])('GET %s → 200 %s', async (path, type, snippet) => {
    const base = await serve();
    const res = await fetch(base + path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toMatch(/^".+"$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain(snippet);
  });

  it('sends a CSP with the page and answers 304 to a matching If-None-Match', async () => {
    const base = await serve();
    const first = await fetch(`${base}/`);
    expect(first.headers.get('content-security-policy')).toContain("script-src 'self'");
    const again = await fetch(`${base}/`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('answers HEAD without a body and refuses other methods with 405', async () => {
    const base = await serve();
    const head = await fetch(`${base}/styles.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/app.js`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it.each([
    '/../package.json',
    '/..%2fpackage.json',
    '/%2e%2e/package.json',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/public/../src/static-server.ts',
    '/..\\package.json',
    '/%5c..%5cpackage.json',
    '/%00',
    '/%E0%A4%A',
  ])('refuses %s with 400', async (path) => {
    const base = await serve();
    const res = await raw(base, path);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('"name"');
  });

  it('declines unknown paths and folders, so the caller can route them', async () => {
    const base = await serve();
    for (const path of ['/nope', '/src/static-server.ts', '/public/index.html', '/package.json']) {
      const res = await raw(base, path);
      expect(res).toEqual({ status: 404, body: 'fallback' });
    }
  });

  it('serves no source map by default (it is the whole demo source), and app.js does not link one', async () => {
    const base = await serve();
    const map = await fetch(`${base}/app.js.map`);
    expect(map.status).toBe(404);
    expect(await map.text()).not.toContain('"version":3');
    const js = await (await fetch(`${base}/app.js`)).text();
    expect(js).toContain('console.log("app")');
    expect(js).not.toContain('sourceMappingURL');
  });

  it('serves /app.js.map and links it with sourceMaps (demo mode)', async () => {
    const base = await serve({ sourceMaps: true });
    const map = await fetch(`${base}/app.js.map`);
    expect(map.status).toBe(200);
    expect(map.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await map.text()).toContain('"version":3');
    expect(await (await fetch(`${base}/app.js`)).text()).toContain('sourceMappingURL=app.js.map');
  });

  it('builds the bundle on the first request when no assets are given', async () => {
    const base = await serve({ assets: undefined, sourceMaps: true });
    const res = await fetch(`${base}/app.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('sourceMappingURL=app.js.map');
  });
});

describe('createWebHandler: endpoints', () => {
  it('serves /config.json without caching', async () => {
    const base = await serve();
    const res = await fetch(`${base}/config.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(config);
  });

  it('404s /dev/token, /api/orders and /stats.json when they are not enabled', async () => {
    const base = await serve();
    expect((await fetch(`${base}/dev/token?user=alice`)).status).toBe(404);
    const orders = await fetch(`${base}/api/orders`, {
      method: 'POST',
      body: JSON.stringify({ userId: 'alice', orderId: 'A-1', kind: 'created' }),
    });
    expect(orders.status).toBe(404);
    const stats = await fetch(`${base}/stats.json`);
    expect(stats.status).toBe(404);
    expect(stats.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('issues dev tokens for valid user names only', async () => {
    const tokenIssuer = vi.fn(async (user: string) => `token-for-${user}`);
    const base = await serve({ tokenIssuer });
    const res = await fetch(`${base}/dev/token?user=alice`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ token: 'token-for-alice' });
    expect((await fetch(`${base}/dev/token`)).status).toBe(400);
    expect((await fetch(`${base}/dev/token?user=${encodeURIComponent('a b')}`)).status).toBe(400);
    expect((await fetch(`${base}/dev/token?user=${'x'.repeat(65)}`)).status).toBe(400);
    expect(tokenIssuer).toHaveBeenCalledTimes(1);
  });

  it('answers 500 when the token issuer fails', async () => {
    const base = await serve({ tokenIssuer: async () => Promise.reject(new Error('no key')) });
    const res = await fetch(`${base}/dev/token?user=bob`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'no key' });
  });

  it('forwards valid order events and passes the upstream status and body through', async () => {
    const forwardOrders = vi.fn(async () => ({ status: 202, body: { accepted: true } }));
    const base = await serve({ forwardOrders });
    const order = { userId: 'alice', orderId: 'A-1', kind: 'shipped' };
    const res = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ accepted: true });
    expect(forwardOrders).toHaveBeenCalledWith(order, {});
  });

  it("passes the caller's own Authorization header to the forwarder", async () => {
    const forwardOrders = vi.fn(async () => ({ status: 401, body: { error: 'bad key' } }));
    const base = await serve({ forwardOrders });
    const order = { userId: 'alice', orderId: 'A-2', kind: 'paid' };
    const res = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer caller-key' },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(401);
    expect(forwardOrders).toHaveBeenCalledWith(order, { authorization: 'Bearer caller-key' });
  });

  it('validates order events and only accepts POST', async () => {
    const forwardOrders = vi.fn(async () => ({ status: 202, body: {} }));
    const base = await serve({ forwardOrders });
    const post = (body: string) => fetch(`${base}/api/orders`, { method: 'POST', body });
    expect((await post('not json')).status).toBe(400);
    expect((await post('[]')).status).toBe(400);
    expect((await post(JSON.stringify({ userId: 'a', orderId: 'A-1', kind: 'lost' }))).status).toBe(400);
    expect((await post(JSON.stringify({ userId: '', orderId: 'A-1', kind: 'paid' }))).status).toBe(400);
    const get = await fetch(`${base}/api/orders`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(forwardOrders).not.toHaveBeenCalled();
  });

  it('enforces the 16 KiB body limit', async () => {
    const forwardOrders = vi.fn(async () => ({ status: 202, body: {} }));
    const base = await serve({ forwardOrders });
    const padding = 'x'.repeat(MAX_ORDER_BODY_BYTES);
    const big = JSON.stringify({ userId: 'alice', orderId: 'A-1', kind: 'paid', padding });
    const res = await fetch(`${base}/api/orders`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    // Without Content-Length (chunked): counted while reading.
    const chunked = await fetch(`${base}/api/orders`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    // Just under the limit is fine.
    const fits = JSON.stringify({ userId: 'alice', orderId: 'A-1', kind: 'paid', padding: '' });
    const ok = await fetch(`${base}/api/orders`, {
      method: 'POST',
      body: fits.replace('""', `"${'y'.repeat(MAX_ORDER_BODY_BYTES - fits.length)}"`),
    });
    expect(ok.status).toBe(202);
    expect(forwardOrders).toHaveBeenCalledTimes(1);
  });

  it('answers 502 when forwarding fails', async () => {
    const base = await serve({ forwardOrders: async () => Promise.reject(new Error('api down')) });
    const res = await fetch(`${base}/api/orders`, {
      method: 'POST',
      body: JSON.stringify({ userId: 'alice', orderId: 'A-1', kind: 'paid' }),
    });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toContain('api down');
  });

  it('serves /stats.json from the stats callback, 503 when it fails', async () => {
    const stats = { connections: 3, messagesPerSecond: 1.5, nodes: [{ id: 'edge-1', connections: 3 }] };
    const base = await serve({ stats: async () => stats });
    const res = await fetch(`${base}/stats.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(stats);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const failing = await serve({ stats: async () => Promise.reject(new Error('registry gone')) });
    expect((await fetch(`${failing}/stats.json`)).status).toBe(503);
  });
});
