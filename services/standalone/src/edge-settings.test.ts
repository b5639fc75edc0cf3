/**
 * The all-in-one's edge applies the same SWITCHBOARD_* settings as the standalone edge: checked with real
 * WebSocket connections (the edge's test client, `ws` underneath) against a started all-in-one.
 */
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { sign, TestClient } from '../../edge/src/testing/harness.js';
import { readAllInOneConfig } from './config.js';
import { type Standalone, startStandalone } from './standalone.js';

const SECRET = 'a-secret-that-is-at-least-32-characters-long';
const GOOD_ORIGIN = 'https://app.example';
/** Close codes and error codes from docs/protocol.md. */
const ORIGIN_NOT_ALLOWED = 3505;
const INVALID_TOKEN = 3500;
const TOO_MANY_SUBSCRIPTIONS = 123;

describe('the all-in-one honours the edge settings', () => {
  let app: Standalone | undefined;
  let transport: MemoryTransport | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await app?.stop();
    await transport?.close();
    app = undefined;
  });

  async function start() {
    transport = new MemoryTransport({ broker: new MemoryBroker() });
    const config = readAllInOneConfig({
      SWITCHBOARD_PORT: '0',
      API_HTTP_PORT: '0',
      SWITCHBOARD_JWT_SECRET: SECRET,
      SWITCHBOARD_ALLOWED_ORIGINS: GOOD_ORIGIN,
      SWITCHBOARD_JWT_AUDIENCE: 'switchboard',
      SWITCHBOARD_MAX_SUBSCRIPTIONS: '1',
    });
    app = await startStandalone(config, { transport });
    return app;
  }

  function open(url: string, token: string, origin: string): TestClient {
    const client = new TestClient(url, { token, origin });
    clients.push(client);
    return client;
  }

  const token = (claims: Record<string, unknown>) =>
    sign({ sub: 'zoe', ...claims }, { expiresIn: '1h', secret: SECRET });

  it('SWITCHBOARD_ALLOWED_ORIGINS, SWITCHBOARD_JWT_AUDIENCE and SWITCHBOARD_MAX_SUBSCRIPTIONS', async () => {
    const { edge } = await start();

    const good = open(edge.url, await token({ aud: 'switchboard' }), GOOD_ORIGIN);
    await good.next((f) => f.kind === 'connected');
    good.send({ id: 1, subscribe: { channel: 'lobby-1' } });
    expect((await good.next((f) => f.id === 1)).kind).toBe('subscribed');
    good.send({ id: 2, subscribe: { channel: 'lobby-2' } });
    const refused = await good.next((f) => f.id === 2);
    expect(refused.error?.code).toBe(TOO_MANY_SUBSCRIPTIONS);

    const elsewhere = open(edge.url, await token({ aud: 'switchboard' }), 'https://evil.example');
    expect((await elsewhere.closed).code).toBe(ORIGIN_NOT_ALLOWED);

    const noAudience = open(edge.url, await token({}), GOOD_ORIGIN);
    expect((await noAudience.closed).code).toBe(INVALID_TOKEN);
    expect(noAudience.count((f) => f.kind === 'connected')).toBe(0);
  });
});
