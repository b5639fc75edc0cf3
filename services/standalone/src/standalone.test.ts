import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { readAllInOneConfig } from './config.js';
import { type Standalone, startStandalone } from './standalone.js';

const SECRET = 'a-secret-that-is-at-least-32-characters-long';

describe('startStandalone', () => {
  let app: Standalone | undefined;
  let transport: MemoryTransport | undefined;
  afterEach(async () => {
    await app?.stop();
    await transport?.close();
    app = undefined;
  });

  async function start(env: Record<string, string>) {
    transport = new MemoryTransport({ broker: new MemoryBroker() });
    const config = readAllInOneConfig({ SWITCHBOARD_PORT: '0', API_HTTP_PORT: '0', ...env });
    app = await startStandalone(config, { transport });
    return app;
  }

  const order = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ userId: 'zoe', orderId: 'o-9', kind: 'created', extra: 'dropped' }),
    });

  it('binds 127.0.0.1 by default and serves the demo routes there', async () => {
    const { url, edge, demo, internalUrl } = await start({});
    expect(demo).toBe(true);
    expect(internalUrl).toBeUndefined();
    expect(edge.url).toBe(`ws://127.0.0.1:${edge.port}/ws`);
    expect((await fetch(`${url}/dev/token?user=zoe`)).status).toBe(200);
    expect((await fetch(`${url}/app.js.map`)).status).toBe(200);
    expect(await (await fetch(`${url}/stats.json`)).json()).toMatchObject({ connections: 0 });
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect((await order(url)).status).toBe(202);
  });

  it("in demo mode with API_KEYS, /api/orders needs the caller's own valid key", async () => {
    const { url, apiUrl } = await start({
      SWITCHBOARD_JWT_SECRET: SECRET,
      SWITCHBOARD_DEMO: 'true',
      API_KEYS: 'k1,k2',
    });
    const { token } = (await (await fetch(`${url}/dev/token?user=zoe`)).json()) as { token: string };
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    expect(payload.sub).toBe('zoe');

    expect((await order(url)).status).toBe(401);
    expect((await order(url, { authorization: 'Bearer not-a-key' })).status).toBe(401);
    const accepted = await order(url, { authorization: 'Bearer k2' });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toHaveProperty('eventId');
    // The API itself wants the key too.
    const direct = await fetch(`${apiUrl}/v1/orders/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'zoe', orderId: 'o-9', kind: 'created' }),
    });
    expect(direct.status).toBe(401);
  });

  it('outside demo mode serves no /dev/token, /api/orders, source map or /stats.json', async () => {
    const { url, demo } = await start({ SWITCHBOARD_JWT_SECRET: SECRET });
    expect(demo).toBe(false);
    expect((await fetch(`${url}/dev/token?user=zoe`)).status).toBe(404);
    expect((await order(url)).status).toBe(404);
    expect((await fetch(`${url}/app.js.map`)).status).toBe(404);
    const js = await fetch(`${url}/app.js`);
    expect(js.status).toBe(200);
    expect(await js.text()).not.toContain('sourceMappingURL');
    expect((await fetch(`${url}/stats.json`)).status).toBe(404);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it('on a non-loopback bind moves /metrics and /stats.json to the internal listener', async () => {
    const { port, edge, internalUrl } = await start({
      SWITCHBOARD_HOST: '0.0.0.0',
      SWITCHBOARD_INTERNAL_PORT: '0',
    });
    const publicUrl = `http://127.0.0.1:${port}`;
    expect((await fetch(`${publicUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${publicUrl}/stats.json`)).status).toBe(404);
    expect((await fetch(`${publicUrl}/dev/token?user=zoe`)).status).toBe(404);
    expect((await fetch(`${publicUrl}/healthz`)).status).toBe(200);

    expect(internalUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${internalUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('switchboard_edge_connections');
    expect(await (await fetch(`${internalUrl}/stats.json`)).json()).toEqual({
      connections: 0,
      messagesPerSecond: 0,
      nodes: [{ id: edge.nodeId, connections: 0, messagesPerSecond: 0, status: 'ready' }],
    });
    expect((await fetch(`${internalUrl}/readyz`)).status).toBe(200);
  });
});
