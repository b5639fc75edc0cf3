import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { DEFAULT_LIMITS, DEFAULTS } from './options.js';

const SECRET = 'a-secret-that-is-at-least-32-characters-long';

function problemsOf(run: () => unknown): { variable: string; problem: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({ SWITCHBOARD_NODE_ID: 'edge-1' });
    expect(config.bus).toBe('memory');
    expect(config.workers).toBe(1);
    expect(config.node.allowAnonymous).toBe(true);
    expect(config.node.host).toBe('0.0.0.0');
    expect(config.node.port).toBe(8080);
    expect(config.node.clientCallable).toEqual(DEFAULTS.clientCallable);
    expect(config.warnings).toEqual([]);
    expect(Object.isFrozen(config.node.limits)).toBe(true);
  });

  it('reads --workers from argv and rejects several workers on the memory bus', () => {
    expect(loadConfig({ SWITCHBOARD_BUS: 'amqp://localhost' }, ['--workers', '4']).workers).toBe(4);
    expect(() => loadConfig({}, ['--workers=2'])).toThrow(/SWITCHBOARD_WORKERS/);
    expect(() => loadConfig({ SWITCHBOARD_BUS: 'amqp://localhost' }, ['--workers=x'])).toThrow(/--workers/);
  });

  it('names the variable and the fix in its errors', () => {
    expect(() => loadConfig({ SWITCHBOARD_EDGE_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ SWITCHBOARD_EDGE_PORT: 'eighty' })).toThrow(/SWITCHBOARD_EDGE_PORT/);
    expect(() => loadConfig({ SWITCHBOARD_PORT: '70000' })).toThrow(
      /SWITCHBOARD_PORT: "70000" is not an integer between 0 and 65535/,
    );
    expect(() =>
      loadConfig({ SWITCHBOARD_JWT_SECRET: SECRET, SWITCHBOARD_JWKS_URL: 'https://x/jwks' }),
    ).toThrow(/not both/);
    expect(() => loadConfig({ SWITCHBOARD_ALLOW_ANONYMOUS: 'false' })).toThrow(/SWITCHBOARD_ALLOW_ANONYMOUS/);
    expect(() => loadConfig({ SWITCHBOARD_BUS: 'nats://x' })).toThrow(/SWITCHBOARD_BUS/);
    expect(() => loadConfig({ SWITCHBOARD_JWT_SECRET: 'short' })).toThrow(
      /SWITCHBOARD_JWT_SECRET: is 5 characters; use at least 32/,
    );
    expect(() =>
      loadConfig({ SWITCHBOARD_PING_INTERVAL_MS: '5000', SWITCHBOARD_IDLE_TIMEOUT_MS: '1000' }),
    ).toThrow(/SWITCHBOARD_IDLE_TIMEOUT_MS/);
    expect(() => loadConfig({ SWITCHBOARD_LOG_LEVEL: 'loud' })).toThrow(/SWITCHBOARD_LOG_LEVEL/);
  });

  it('lists every problem at once instead of stopping at the first', () => {
    const problems = problemsOf(() =>
      loadConfig({
        SWITCHBOARD_BUS: 'nats://x',
        SWITCHBOARD_EDGE_PORT: 'eighty',
        SWITCHBOARD_JWT_SECRET: 'short',
        SWITCHBOARD_MAX_SUBSCRIPTIONS: '0',
        SWITCHBOARD_DEFLATE: 'maybe',
        SWITCHBOARD_CLIENT_CALLABLE: 'chat/chat.send,history',
      }),
    );
    expect(problems.map((p) => p.variable)).toEqual([
      'SWITCHBOARD_BUS',
      'SWITCHBOARD_JWT_SECRET',
      'SWITCHBOARD_EDGE_PORT',
      'SWITCHBOARD_MAX_SUBSCRIPTIONS',
      'SWITCHBOARD_DEFLATE',
      'SWITCHBOARD_CLIENT_CALLABLE',
    ]);
    for (const p of problems) expect(p.problem.length).toBeGreaterThan(10);
    expect(problems[3]!.problem).toMatch(/unset it for the default 128/);
  });

  it('reads every limit from SWITCHBOARD_<LIMIT_IN_SNAKE_CASE>', () => {
    const names = Object.keys(DEFAULT_LIMITS);
    const env = Object.fromEntries(
      names.map((name, i) => [
        `SWITCHBOARD_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
        String(2000 + i),
      ]),
    );
    const { limits } = loadConfig(env).node;
    expect(limits).toEqual(Object.fromEntries(names.map((name, i) => [name, 2000 + i])));
    expect(env).toHaveProperty('SWITCHBOARD_MAX_SUBSCRIPTIONS');
    expect(env).toHaveProperty('SWITCHBOARD_MAX_CONNECTIONS_PER_USER');
  });

  it('reads the handshake timeout and the tokens-without-exp switch', () => {
    expect(loadConfig({}).node).toMatchObject({
      handshakeTimeoutMs: DEFAULTS.handshakeTimeoutMs,
      allowTokensWithoutExp: false,
    });
    expect(
      loadConfig({ SWITCHBOARD_HANDSHAKE_TIMEOUT_MS: '2500', SWITCHBOARD_ALLOW_TOKENS_WITHOUT_EXP: 'true' })
        .node,
    ).toMatchObject({ handshakeTimeoutMs: 2500, allowTokensWithoutExp: true });
  });

  it('reads the client-callable allow-list; empty means the default', () => {
    expect(
      loadConfig({ SWITCHBOARD_CLIENT_CALLABLE: ' chat/* , presence/presence.query ' }).node.clientCallable,
    ).toEqual(['chat/*', 'presence/presence.query']);
    expect(loadConfig({ SWITCHBOARD_CLIENT_CALLABLE: '' }).node.clientCallable).toEqual(
      DEFAULTS.clientCallable,
    );
    expect(loadConfig({ SWITCHBOARD_CLIENT_CALLABLE: ' , ' }).node.clientCallable).toEqual(
      DEFAULTS.clientCallable,
    );
  });

  it('takes SWITCHBOARD_HOST/PORT and the older SWITCHBOARD_EDGE_HOST/PORT, refusing two different values', () => {
    expect(loadConfig({ SWITCHBOARD_HOST: '10.0.0.1', SWITCHBOARD_PORT: '81' }).node).toMatchObject({
      host: '10.0.0.1',
      port: 81,
    });
    expect(loadConfig({ SWITCHBOARD_EDGE_HOST: '10.0.0.2', SWITCHBOARD_EDGE_PORT: '82' }).node).toMatchObject(
      {
        host: '10.0.0.2',
        port: 82,
      },
    );
    expect(loadConfig({ SWITCHBOARD_PORT: '83', SWITCHBOARD_EDGE_PORT: '83' }).node.port).toBe(83);
    expect(() => loadConfig({ SWITCHBOARD_HOST: '10.0.0.1', SWITCHBOARD_EDGE_HOST: '10.0.0.2' })).toThrow(
      /SWITCHBOARD_HOST: conflicts with SWITCHBOARD_EDGE_HOST/,
    );
  });

  it('turns a secret off anonymous access unless asked for', () => {
    expect(loadConfig({ SWITCHBOARD_JWT_SECRET: SECRET }).node.allowAnonymous).toBe(false);
    expect(
      loadConfig({ SWITCHBOARD_JWT_SECRET: SECRET, SWITCHBOARD_ALLOW_ANONYMOUS: 'true' }).node.allowAnonymous,
    ).toBe(true);
  });

  it('embedded: binds loopback, no anonymous fallback, one node', () => {
    const config = loadConfig({}, [], { embedded: true });
    expect(config.node.host).toBe('127.0.0.1');
    expect(config.node.allowAnonymous).toBe(false);
    expect(config.node.jwtSecret).toBeUndefined();
    expect(loadConfig({ SWITCHBOARD_HOST: '0.0.0.0' }, [], { embedded: true }).node.host).toBe('0.0.0.0');
    expect(() =>
      loadConfig({ SWITCHBOARD_BUS: 'amqp://localhost', SWITCHBOARD_WORKERS: '2' }, [], { embedded: true }),
    ).toThrow(/SWITCHBOARD_WORKERS: the all-in-one runs one edge node/);
  });

  it('warns about unknown SWITCHBOARD_ variables with the closest setting, ignoring tooling and other prefixes', () => {
    const config = loadConfig({
      SWITCHBOARD_ALLOWED_ORIGIN: 'https://a.example',
      SWITCHBOARD_MAX_SUBSCRIPTONS: '4',
      SWITCHBOARD_TEST_BROKERS: 'local',
      PATH: '/bin',
    });
    expect(config.node.allowedOrigins).toEqual([]);
    expect(config.warnings).toEqual([
      'SWITCHBOARD_ALLOWED_ORIGIN is not a setting of the edge and is ignored; did you mean SWITCHBOARD_ALLOWED_ORIGINS?',
      'SWITCHBOARD_MAX_SUBSCRIPTONS is not a setting of the edge and is ignored; did you mean SWITCHBOARD_MAX_SUBSCRIPTIONS?',
    ]);
    expect(
      loadConfig({ SWITCHBOARD_DEMO: 'true' }, [], { embedded: true, alsoKnown: ['SWITCHBOARD_DEMO'] })
        .warnings,
    ).toEqual([]);
  });
});
