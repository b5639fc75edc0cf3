import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({ SWITCHBOARD_NODE_ID: 'edge-1' });
    expect(config.bus).toBe('memory');
    expect(config.workers).toBe(1);
    expect(config.node.allowAnonymous).toBe(true);
    expect(config.node.port).toBe(8080);
    expect(Object.isFrozen(config.node.limits)).toBe(true);
  });

  it('reads --workers from argv and rejects several workers on the memory bus', () => {
    expect(loadConfig({ SWITCHBOARD_BUS: 'amqp://localhost' }, ['--workers', '4']).workers).toBe(4);
    expect(() => loadConfig({}, ['--workers=2'])).toThrow(/SWITCHBOARD_WORKERS/);
  });

  it('names the variable and the fix in its errors', () => {
    expect(() => loadConfig({ SWITCHBOARD_EDGE_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ SWITCHBOARD_EDGE_PORT: 'eighty' })).toThrow(/SWITCHBOARD_EDGE_PORT/);
    expect(() => loadConfig({ SWITCHBOARD_JWT_SECRET: 's', SWITCHBOARD_JWKS_URL: 'https://x/jwks' })).toThrow(
      /not both/,
    );
    expect(() => loadConfig({ SWITCHBOARD_ALLOW_ANONYMOUS: 'false' })).toThrow(/SWITCHBOARD_ALLOW_ANONYMOUS/);
    expect(() => loadConfig({ SWITCHBOARD_BUS: 'nats://x' })).toThrow(/SWITCHBOARD_BUS/);
    expect(() =>
      loadConfig({ SWITCHBOARD_PING_INTERVAL_MS: '5000', SWITCHBOARD_IDLE_TIMEOUT_MS: '1000' }),
    ).toThrow(/SWITCHBOARD_IDLE_TIMEOUT_MS/);
  });

  it('turns a secret off anonymous access unless asked for', () => {
    expect(loadConfig({ SWITCHBOARD_JWT_SECRET: 's' }).node.allowAnonymous).toBe(false);
    expect(
      loadConfig({ SWITCHBOARD_JWT_SECRET: 's', SWITCHBOARD_ALLOW_ANONYMOUS: 'true' }).node.allowAnonymous,
    ).toBe(true);
  });
});
