import { ConfigError } from '@switchboard/service-kit';
import { describe, expect, it } from 'vitest';
import { readAllInOneConfig } from './config.js';
import { isLoopback } from './loopback.js';

const SECRET = 'a-secret-that-is-at-least-32-characters-long';

function problemsOf(env: Record<string, string>): { variable: string; problem: string }[] {
  try {
    readAllInOneConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('readAllInOneConfig', () => {
  it('defaults to the embedded demo: loopback bind, port 8080, memory bus, demo mode, API without keys', () => {
    const config = readAllInOneConfig({});
    expect(config.edge.node).toMatchObject({ host: '127.0.0.1', port: 8080, allowAnonymous: false });
    expect(config.edge.bus).toBe('memory');
    expect(config).toMatchObject({ demo: true, apiPort: 8090, apiHost: '127.0.0.1', internal: undefined });
    expect(config.apiKeys).toBeUndefined();
    expect(config.warnings).toEqual([]);
  });

  it('reads every edge setting through the edge reader', () => {
    const { node } = readAllInOneConfig({
      SWITCHBOARD_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      SWITCHBOARD_JWT_AUDIENCE: 'switchboard',
      SWITCHBOARD_JWT_ISSUER: 'https://issuer.example',
      SWITCHBOARD_MAX_SUBSCRIPTIONS: '7',
      SWITCHBOARD_MAX_CONNECTIONS_PER_USER: '2',
      SWITCHBOARD_DEFLATE: 'true',
      SWITCHBOARD_PING_INTERVAL_MS: '1000',
      SWITCHBOARD_IDLE_TIMEOUT_MS: '3000',
      SWITCHBOARD_CLIENT_CALLABLE: 'chat/*',
    }).edge;
    expect(node).toMatchObject({
      allowedOrigins: ['https://a.example', 'https://b.example'],
      jwtAudience: 'switchboard',
      jwtIssuer: 'https://issuer.example',
      deflate: true,
      pingIntervalMs: 1000,
      idleTimeoutMs: 3000,
      clientCallable: ['chat/*'],
    });
    expect(node.limits).toMatchObject({ maxSubscriptions: 7, maxConnectionsPerUser: 2 });
  });

  it('turns demo mode off with a configured key or a non-loopback bind, which also starts the internal listener', () => {
    expect(readAllInOneConfig({ SWITCHBOARD_JWT_SECRET: SECRET }).demo).toBe(false);
    const exposed = readAllInOneConfig({ SWITCHBOARD_HOST: '0.0.0.0' });
    expect(exposed.demo).toBe(false);
    expect(exposed.internal).toEqual({ host: '127.0.0.1', port: 8091 });
    expect(readAllInOneConfig({ SWITCHBOARD_INTERNAL_PORT: '9100' }).internal).toEqual({
      host: '127.0.0.1',
      port: 9100,
    });
    expect(readAllInOneConfig({ SWITCHBOARD_DEMO: 'false' }).demo).toBe(false);
    expect(readAllInOneConfig({ SWITCHBOARD_JWT_SECRET: SECRET, SWITCHBOARD_DEMO: 'true' }).demo).toBe(true);
  });

  it('refuses SWITCHBOARD_DEMO=true on a non-loopback bind unless SWITCHBOARD_DEMO_EXPOSED=true', () => {
    const [problem, ...rest] = problemsOf({ SWITCHBOARD_HOST: '0.0.0.0', SWITCHBOARD_DEMO: 'true' });
    expect(rest).toEqual([]);
    expect(problem!.variable).toBe('SWITCHBOARD_DEMO');
    expect(problem!.problem).toMatch(/not a loopback address.*SWITCHBOARD_DEMO_EXPOSED=true/);
    expect(
      readAllInOneConfig({
        SWITCHBOARD_HOST: '0.0.0.0',
        SWITCHBOARD_DEMO: 'true',
        SWITCHBOARD_DEMO_EXPOSED: 'true',
      }).demo,
    ).toBe(true);
    expect(problemsOf({ SWITCHBOARD_DEMO: 'true', SWITCHBOARD_JWKS_URL: 'https://x.example/jwks' })).toEqual([
      expect.objectContaining({ variable: 'SWITCHBOARD_DEMO' }),
    ]);
  });

  it('lists the problems of every reader together, each variable once', () => {
    const problems = problemsOf({
      SWITCHBOARD_BUS: 'nats://x',
      SWITCHBOARD_JWT_SECRET: 'short',
      SWITCHBOARD_MAX_SUBSCRIPTIONS: 'many',
      API_HTTP_PORT: 'nope',
      CHAT_MAX_MESSAGE_LENGTH: '0',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'API_HTTP_PORT',
      'CHAT_MAX_MESSAGE_LENGTH',
      'SWITCHBOARD_BUS',
      'SWITCHBOARD_JWT_SECRET',
      'SWITCHBOARD_MAX_SUBSCRIPTIONS',
    ]);
    expect(() => readAllInOneConfig({ SWITCHBOARD_PORT: 'x', API_HTTP_PORT: 'y' })).toThrow(
      /SWITCHBOARD_PORT[\s\S]*API_HTTP_PORT|API_HTTP_PORT[\s\S]*SWITCHBOARD_PORT/,
    );
  });

  it('reports unknown SWITCHBOARD_ variables with the closest setting, and the renamed SWITCHBOARD_DEV_TOKENS', () => {
    const config = readAllInOneConfig({
      SWITCHBOARD_ALLOWED_ORIGIN: 'https://a.example',
      SWITCHBOARD_DEMO: 'true',
      SWITCHBOARD_PRETTY_LOGS: 'false',
      SWITCHBOARD_TEST_BROKERS: 'local',
    });
    expect(config.warnings).toEqual([
      'SWITCHBOARD_ALLOWED_ORIGIN is not a setting of the all-in-one (pnpm start) and is ignored; did you mean SWITCHBOARD_ALLOWED_ORIGINS?',
    ]);
    const renamed = readAllInOneConfig({ SWITCHBOARD_DEV_TOKENS: 'false' });
    expect(renamed.demo).toBe(false);
    expect(renamed.warnings).toEqual([
      'SWITCHBOARD_DEV_TOKENS is renamed SWITCHBOARD_DEMO; set that instead',
    ]);
  });

  it('takes SWITCHBOARD_LOG_LEVEL (the edge name) over LOG_LEVEL', () => {
    expect(readAllInOneConfig({ LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(readAllInOneConfig({ LOG_LEVEL: 'warn', SWITCHBOARD_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.5', false],
    ['example.com', false],
    ['', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});
