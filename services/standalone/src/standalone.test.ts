import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { devTokensEnabled, readAllInOneConfig, readStandaloneConfig } from './config.js';
import { type Standalone, startStandalone } from './standalone.js';

const SECRET = 'a-secret-that-is-at-least-32-characters-long';

describe('standalone config', () => {
  it('defaults to the embedded mode: memory bus, port 8080, dev tokens on, API without keys', () => {
    const config = readStandaloneConfig({});
    expect(config).toMatchObject({ port: 8080, bus: 'memory', apiPort: 8090, apiHost: '127.0.0.1' });
    expect(config.apiKeys).toBeUndefined();
    expect(devTokensEnabled(config)).toBe(true);
  });

  it('turns dev tokens off with a configured secret unless asked for, and rejects short secrets', () => {
    expect(devTokensEnabled(readStandaloneConfig({ SWITCHBOARD_JWT_SECRET: SECRET }))).toBe(false);
    expect(
      devTokensEnabled(
        readStandaloneConfig({ SWITCHBOARD_JWT_SECRET: SECRET, SWITCHBOARD_DEV_TOKENS: 'true' }),
      ),
    ).toBe(true);
    expect(devTokensEnabled(readStandaloneConfig({ SWITCHBOARD_DEV_TOKENS: 'false' }))).toBe(false);
    expect(() => readStandaloneConfig({ SWITCHBOARD_JWT_SECRET: 'short' })).toThrow(/SWITCHBOARD_JWT_SECRET/);
    expect(() => readStandaloneConfig({ SWITCHBOARD_BUS: 'nats://x' })).toThrow(/SWITCHBOARD_BUS/);
  });
});

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
    const config = readAllInOneConfig({
      SWITCHBOARD_PORT: '0',
      SWITCHBOARD_HOST: '127.0.0.1',
      API_HTTP_PORT: '0',
      ...env,
    });
    app = await startStandalone(config, { transport });
    return app;
  }

  it('issues dev tokens signed with the configured secret and forwards orders with the API key', async () => {
    const { url, apiUrl } = await start({
      SWITCHBOARD_JWT_SECRET: SECRET,
      SWITCHBOARD_DEV_TOKENS: 'true',
      API_KEYS: 'k1',
    });
    const { token } = (await (await fetch(`${url}/dev/token?user=zoe`)).json()) as { token: string };
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    expect(payload.sub).toBe('zoe');
    expect(payload.exp).toBeGreaterThan(payload.iat!);

    const order = await fetch(`${url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'zoe', orderId: 'o-9', kind: 'created', extra: 'dropped' }),
    });
    expect(order.status).toBe(202);
    expect(await order.json()).toHaveProperty('eventId');
    // The API itself wants the key.
    const direct = await fetch(`${apiUrl}/v1/orders/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'zoe', orderId: 'o-9', kind: 'created' }),
    });
    expect(direct.status).toBe(401);
  });

  it('serves no /dev/token when dev tokens are off, and reports the edge in /stats.json', async () => {
    const { url, edge } = await start({ SWITCHBOARD_DEV_TOKENS: 'false' });
    expect((await fetch(`${url}/dev/token?user=zoe`)).status).toBe(404);
    const stats = await (await fetch(`${url}/stats.json`)).json();
    expect(stats).toEqual({
      connections: 0,
      messagesPerSecond: 0,
      nodes: [{ id: edge.nodeId, connections: 0, messagesPerSecond: 0, status: 'ready' }],
    });
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });
});
