import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { boolean, integer, list, oneOf, string, url } from './fields.js';
import { configWarnings, readServiceConfig } from './read-config.js';
import { jwtSecret, LOG_LEVELS, logLevel } from './settings.js';

const spec = {
  httpPort: integer('CHAT_HTTP_PORT', { default: 9101, min: 0, max: 65535 }),
  bus: url('SWITCHBOARD_BUS', {
    default: 'memory',
    protocols: ['amqp', 'amqps', 'kafka'],
    literals: ['memory'],
  }),
  logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
  redisUrl: url('REDIS_URL', { protocols: ['redis', 'rediss'], optional: true }),
  autoCreate: boolean('CHAT_AUTO_CREATE', { default: false }),
  origins: list('CHAT_ORIGINS', { default: [] as readonly string[] }),
  region: string('CHAT_REGION', { pattern: /^[a-z]{2}-[a-z]+$/ }),
};

function problems(env: Record<string, string>): ConfigError {
  try {
    readServiceConfig({ CHAT_REGION: 'eu-west', ...env }, spec);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('readServiceConfig', () => {
  it('applies named defaults, parses values and returns a frozen object', () => {
    const defaults = readServiceConfig({ CHAT_REGION: 'eu-west' }, spec);
    expect(defaults).toEqual({
      httpPort: 9101,
      bus: 'memory',
      logLevel: 'info',
      redisUrl: undefined,
      autoCreate: false,
      origins: [],
      region: 'eu-west',
    });
    expect(Object.isFrozen(defaults)).toBe(true);
    const set = readServiceConfig(
      {
        CHAT_HTTP_PORT: '0',
        SWITCHBOARD_BUS: 'amqp://guest:guest@127.0.0.1:5672',
        LOG_LEVEL: 'debug',
        REDIS_URL: 'redis://127.0.0.1:6379',
        CHAT_AUTO_CREATE: 'yes',
        CHAT_ORIGINS: ' https://a.example, ,https://b.example ',
        CHAT_REGION: 'us-east',
        UNRELATED: 'ignored',
      },
      spec,
    );
    expect(set).toEqual({
      httpPort: 0,
      bus: 'amqp://guest:guest@127.0.0.1:5672',
      logLevel: 'debug',
      redisUrl: 'redis://127.0.0.1:6379',
      autoCreate: true,
      origins: ['https://a.example', 'https://b.example'],
      region: 'us-east',
    });
    expectTypeOf(set.httpPort).toEqualTypeOf<number>();
    expectTypeOf(set.logLevel).toEqualTypeOf<(typeof LOG_LEVELS)[number]>();
    expectTypeOf(set.redisUrl).toEqualTypeOf<string | undefined>();
  });

  it('names the variable and the fix for each invalid value', () => {
    const error = problems({
      CHAT_HTTP_PORT: '80a',
      SWITCHBOARD_BUS: 'http://nope',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'not a url',
      CHAT_AUTO_CREATE: 'maybe',
    });
    expect(error.code).toBe('SB_ERR_CONFIG');
    expect(error.problems.map((p) => p.variable)).toEqual([
      'CHAT_HTTP_PORT',
      'SWITCHBOARD_BUS',
      'LOG_LEVEL',
      'REDIS_URL',
      'CHAT_AUTO_CREATE',
    ]);
    expect(error.message).toContain(
      'CHAT_HTTP_PORT: "80a" is not an integer between 0 and 65535; set it to an integer between 0 and 65535, or unset it for the default 9101',
    );
    expect(error.message).toContain(
      'SWITCHBOARD_BUS: "http://nope" is not memory or amqp://… or amqps://… or kafka://…',
    );
    expect(error.message).toContain(
      'LOG_LEVEL: "loud" is not one of trace, debug, info, warn, error, fatal, silent',
    );
    expect(error.message).toContain('REDIS_URL: "not a url" is not redis://… or rediss://…');
    expect(error.message).toContain('CHAT_AUTO_CREATE: "maybe" is not true or false');
  });

  it('rejects out-of-range integers and reports required variables', () => {
    expect(problems({ CHAT_HTTP_PORT: '70000' }).problems).toEqual([
      {
        variable: 'CHAT_HTTP_PORT',
        problem:
          '"70000" is not an integer between 0 and 65535; set it to an integer between 0 and 65535, or unset it for the default 9101',
      },
    ]);
    expect(problems({ CHAT_REGION: '' }).problems).toEqual([
      { variable: 'CHAT_REGION', problem: 'is required; set it to a string matching /^[a-z]{2}-[a-z]+$/' },
    ]);
  });

  it('reports conflicts between variables from the check function', () => {
    const read = (env: Record<string, string>) =>
      readServiceConfig(
        env,
        { store: oneOf('STORE', ['memory', 'redis']), redis: url('REDIS_URL', { optional: true }) },
        (c) =>
          c.store === 'redis' && !c.redis
            ? [
                {
                  variable: 'REDIS_URL',
                  problem: 'is required when STORE=redis; set it to redis://host:6379',
                },
              ]
            : [],
      );
    expect(read({ STORE: 'memory' }).store).toBe('memory');
    expect(() => read({ STORE: 'redis' })).toThrow('REDIS_URL: is required when STORE=redis');
  });

  it('reads SWITCHBOARD_LOG_LEVEL, and the older LOG_LEVEL when it is unset, with a deprecation warning', () => {
    const spec = { level: logLevel() };
    expect(readServiceConfig({}, spec).level).toBe('info');
    expect(readServiceConfig({ SWITCHBOARD_LOG_LEVEL: 'warn', LOG_LEVEL: 'warn' }, spec).level).toBe('warn');
    expect(readServiceConfig({ LOG_LEVEL: 'debug' }, spec).level).toBe('debug');
    expect(configWarnings({ LOG_LEVEL: 'debug' }, spec, 'chat')).toEqual([
      'LOG_LEVEL is deprecated; set SWITCHBOARD_LOG_LEVEL instead (LOG_LEVEL will stop being read)',
    ]);
    expect(configWarnings({ SWITCHBOARD_LOG_LEVEL: 'debug' }, spec, 'chat')).toEqual([]);
    // The problem names the variable that holds the wrong value; the current name wins when both are set.
    expect(() => readServiceConfig({ LOG_LEVEL: 'loud' }, spec)).toThrow(
      /^ {2}LOG_LEVEL: "loud" is not one of/m,
    );
    expect(readServiceConfig({ SWITCHBOARD_LOG_LEVEL: 'warn', LOG_LEVEL: 'loud' }, spec).level).toBe('warn');
  });

  it('reports unknown SWITCHBOARD_* variables with the closest setting, but not tooling ones', () => {
    const spec = { level: logLevel(), secret: jwtSecret() };
    expect(
      configWarnings(
        { SWITCHBOARD_LOG_LEVL: 'info', SWITCHBOARD_TEST_BROKERS: 'host', OTHER: 'x' },
        spec,
        'the web page',
      ),
    ).toEqual([
      'SWITCHBOARD_LOG_LEVL is not a setting of the web page and is ignored; did you mean SWITCHBOARD_LOG_LEVEL?',
    ]);
  });

  it('applies one secret-length rule wherever SWITCHBOARD_JWT_SECRET is read', () => {
    const spec = { secret: jwtSecret() };
    expect(readServiceConfig({}, spec).secret).toBeUndefined();
    expect(readServiceConfig({ SWITCHBOARD_JWT_SECRET: 'x'.repeat(32) }, spec).secret).toBe('x'.repeat(32));
    expect(() => readServiceConfig({ SWITCHBOARD_JWT_SECRET: 'short' }, spec)).toThrow(
      'SWITCHBOARD_JWT_SECRET: is 5 characters; use at least 32',
    );
  });
});
