import { ConfigError } from '@switchboard/runtime';
import { describe, expect, it } from 'vitest';
import { readWebConfig } from './config.js';

const SECRET = 'a-secret-that-is-at-least-32-characters-long';

function problemsOf(env: Record<string, string>): string[] {
  try {
    readWebConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.problem}`);
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('readWebConfig', () => {
  it('applies the defaults', () => {
    expect(readWebConfig({})).toMatchObject({
      port: 8088,
      host: '0.0.0.0',
      wsUrl: '/ws',
      apiBase: '/api',
      demo: false,
      devTokenSecret: undefined,
      devTokenTtlSeconds: 3600,
      warnings: [],
    });
  });

  it('lists every problem at once, each naming its variable', () => {
    const problems = problemsOf({
      WEB_HTTP_PORT: '70000',
      WEB_API_URL: 'not a url',
      WEB_DEV_TOKEN_TTL_SECONDS: '0',
      SWITCHBOARD_JWT_SECRET: 'short',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'WEB_HTTP_PORT',
      'WEB_API_URL',
      'WEB_DEV_TOKEN_TTL_SECONDS',
      'SWITCHBOARD_JWT_SECRET',
    ]);
    expect(problems[3]).toContain('is 5 characters; use at least 32');
  });

  it('demo tokens need the edge secret; the secret is only used in demo mode', () => {
    expect(problemsOf({ WEB_DEV_TOKENS: 'true' })).toEqual([
      'WEB_DEV_TOKENS: is true but SWITCHBOARD_JWT_SECRET is not set; set it',
    ]);
    expect(readWebConfig({ WEB_DEV_TOKENS: 'true', SWITCHBOARD_JWT_SECRET: SECRET }).devTokenSecret).toBe(
      SECRET,
    );
    expect(readWebConfig({ SWITCHBOARD_JWT_SECRET: SECRET }).devTokenSecret).toBeUndefined();
  });

  it('warns about the retired WEB_API_KEY', () => {
    expect(readWebConfig({ WEB_API_KEY: 'k' }).warnings).toEqual([
      expect.stringContaining('WEB_API_KEY is no longer used'),
    ]);
  });
});
