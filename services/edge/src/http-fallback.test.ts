import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeNode } from './edge-node.js';
import type { HttpFallback } from './http-routes.js';
import { connect, SECRET } from './testing/harness.js';

describe('edge HTTP fallback handler', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  async function start(httpFallback?: HttpFallback) {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const node = new EdgeNode(
      { nodeId: 'fb', host: '127.0.0.1', port: 0, jwtSecret: SECRET },
      { transport, ...(httpFallback ? { httpFallback } : {}) },
    );
    await node.start();
    cleanup.push(
      () => transport.close(),
      () => node.close(),
    );
    return { node, base: `http://127.0.0.1:${node.port}` };
  }

  it('hands paths the edge does not serve to the fallback, any method, and keeps its own routes', async () => {
    const seen: string[] = [];
    const { node, base } = await start((req, res) => {
      if (req.url?.startsWith('/declined')) return false;
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end('from fallback');
      return true;
    });
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(201);
    expect(await page.text()).toBe('from fallback');
    const post = await fetch(`${base}/api/orders?x=1`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(201);
    expect(seen).toEqual(['GET /', 'POST /api/orders?x=1']);

    expect((await fetch(`${base}/declined`)).status).toBe(404);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', node: 'fb' });
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/ws`)).status).toBe(426);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    expect(seen).toHaveLength(2);

    // WebSocket upgrades on /ws still reach the edge.
    const { client, id } = await connect(node.url, 'alice');
    expect(id).toMatch(/^fb\./);
    await client.close();
  });

  it('answers 404 for unknown paths without a fallback', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/api/orders`, { method: 'POST' })).status).toBe(404);
  });
});
