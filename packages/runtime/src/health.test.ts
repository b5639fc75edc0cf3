import { request } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type HealthServer, sendJson, startHealthServer } from './health.js';

function get(url: string, method = 'GET') {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startHealthServer', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers /healthz, /readyz (following ready()) and /metrics with Node default metrics', async () => {
    let ready = false;
    const registry = new Registry();
    new Counter({ name: 'own_total', help: 'own', registers: [registry] });
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      identity: { service: 'chat' },
      ready: () => ready,
      registry,
    });
    expect(JSON.parse((await get(`${server.url}/healthz`)).body)).toEqual({ status: 'ok', service: 'chat' });
    const notReady = await get(`${server.url}/readyz?probe=1`);
    expect([notReady.status, JSON.parse(notReady.body)]).toEqual([
      503,
      { status: 'not ready', service: 'chat' },
    ]);
    ready = true;
    expect((await get(`${server.url}/readyz`)).status).toBe(200);
    const metrics = await get(`${server.url}/metrics`);
    expect(metrics.type).toContain('text/plain');
    expect(metrics.body).toMatch(/^own_total 0$/m);
    expect(metrics.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect((await get(`${server.url}/metrics`, 'POST')).status).toBe(405);
    expect((await get(`${server.url}/other`)).status).toBe(404);
  });

  it('passes other paths to `extra` before answering 404', async () => {
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      identity: { node: 'n1' },
      ready: () => true,
      registry: new Registry(),
      extra: (req, res) => {
        if (req.url !== '/stats.json') return false;
        sendJson(res, 200, { connections: 0 });
        return true;
      },
    });
    expect(JSON.parse((await get(`${server.url}/stats.json`)).body)).toEqual({ connections: 0 });
    expect(JSON.parse((await get(`${server.url}/healthz`)).body)).toEqual({ status: 'ok', node: 'n1' });
    expect((await get(`${server.url}/nope`)).status).toBe(404);
  });
});
