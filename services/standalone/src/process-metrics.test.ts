/**
 * Issue 15: every Switchboard process answers `/metrics` with Node's default metrics — the edge (labelled
 * with its node), a service (chat), the API, the web process (spawned as production runs it) and the
 * all-in-one — so event-loop lag, heap and GC can be watched everywhere; and each answers `/healthz` and
 * `/readyz` the same way, from the one health handler of @switchboard/runtime.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startApi } from '@switchboard/api';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { createChatService, MemoryChatStore } from '@switchboard/chat';
import { EdgeNode } from '@switchboard/edge';
import { afterEach, describe, expect, it } from 'vitest';
import { readAllInOneConfig } from './config.js';
import { startStandalone } from './standalone.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WEB_MAIN = fileURLToPath(new URL('../../web/src/main.ts', import.meta.url));

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** `/healthz` and `/readyz` answer as every process does, naming the process. */
async function expectHealth(base: string, identity: Record<string, string>): Promise<void> {
  const health = await fetch(`${base}/healthz`);
  expect([health.status, await health.json()]).toEqual([200, { status: 'ok', ...identity }]);
  const ready = await fetch(`${base}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', ...identity }]);
}

/** The lag gauge is declared and has a sample (with the given labels, if any). */
function expectEventLoopLag(text: string, labels = ''): void {
  expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_p99_seconds gauge$/m);
  expect(text).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
  expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
  const sample = new RegExp(
    `^nodejs_eventloop_lag_seconds${labels.replace(/[{}]/g, '\\$&')} [0-9.e+-]+$`,
    'm',
  );
  expect(text).toMatch(sample);
}

describe('/metrics of every process has the event-loop lag', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function memoryTransport(): MemoryTransport {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    cleanup.push(() => transport.close());
    return transport;
  }

  it('an edge node, labelled with its node like its other series', async () => {
    const edge = new EdgeNode(
      {
        nodeId: 'edge-m',
        host: '127.0.0.1',
        port: 0,
        jwtSecret: 'a-secret-that-is-at-least-32-characters-long',
      },
      { transport: memoryTransport() },
    );
    await edge.start();
    cleanup.push(() => edge.close());
    const text = await scrape(`http://127.0.0.1:${edge.port}/metrics`);
    expectEventLoopLag(text, '{node="edge-m"}');
    expect(text).toMatch(/^switchboard_edge_connections\{node="edge-m"\} 0$/m);
    await expectHealth(`http://127.0.0.1:${edge.port}`, { node: 'edge-m' });
  });

  it('a service (chat) on its own HTTP port', async () => {
    const store = new MemoryChatStore();
    cleanup.push(async () => store.close());
    const chat = createChatService({
      transport: memoryTransport(),
      store,
      httpPort: 0,
      httpHost: '127.0.0.1',
    });
    await chat.start();
    cleanup.push(() => chat.stop());
    const text = await scrape(`http://127.0.0.1:${chat.httpPort}/metrics`);
    expectEventLoopLag(text);
    expect(text).toMatch(/^# TYPE switchboard_service_messages_total counter$/m);
    await expectHealth(`http://127.0.0.1:${chat.httpPort}`, { service: 'chat' });
  });

  it('the HTTP API', async () => {
    const api = await startApi({ transport: memoryTransport(), keys: ['k1'], port: 0 });
    cleanup.push(() => api.close());
    const text = await scrape(`${api.url}/metrics`);
    expectEventLoopLag(text);
    expect(text).toMatch(/^# TYPE switchboard_api_requests_total counter$/m);
    await expectHealth(api.url, { service: 'api' });
  });

  it('the web process (tsx services/web/src/main.ts)', async () => {
    const child: ChildProcess = spawn(`${ROOT}node_modules/.bin/tsx`, [WEB_MAIN], {
      cwd: ROOT,
      env: { ...process.env, WEB_HOST: '127.0.0.1', WEB_HTTP_PORT: '0', WEB_DEV_TOKENS: 'false' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    });
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const started = /"port":(\d+)[^\n]*"msg":"web started"/.exec(buffered);
        if (started) resolve(Number(started[1]));
      });
      child.once('exit', (code) => reject(new Error(`web exited with ${code} before it started`)));
    });
    expectEventLoopLag(await scrape(`http://127.0.0.1:${port}/metrics`));
    await expectHealth(`http://127.0.0.1:${port}`, { service: 'web' });
    // Only GET/HEAD: the one health handler of every process answers anything else 405, not a scrape.
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('the all-in-one: edge, services and API series and the lag, on one /metrics', async () => {
    const config = readAllInOneConfig({ SWITCHBOARD_PORT: '0', API_HTTP_PORT: '0' });
    const app = await startStandalone(config, { transport: memoryTransport() });
    cleanup.push(() => app.stop());
    const text = await scrape(`${app.url}/metrics`);
    const node = app.edge.nodeId;
    expectEventLoopLag(text, `{node="${node}"}`);
    // One family each, though the edge, the services and the API each asked for Node's default metrics.
    expect(text.match(/^# TYPE nodejs_eventloop_lag_seconds /gm)).toHaveLength(1);
    for (const family of [
      'switchboard_edge_connections',
      'switchboard_service_messages_total',
      'switchboard_history_channels',
      'switchboard_api_requests_total',
    ])
      expect(text, family).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
    // The API's own port serves only the API's series: a scraper of both ports counts nothing twice.
    const api = await scrape(`${app.apiUrl}/metrics`);
    expectEventLoopLag(api);
    expect(api).toMatch(/^# TYPE switchboard_api_requests_total /m);
    expect(api).not.toMatch(/^# TYPE switchboard_(service|edge|history)_/m);
  });
});
