import { describe, expect, it } from 'vitest';
import { REDIS_DEFAULTS, resolveRedisOptions } from './redis-options.js';
import { redactUrl } from './redis-transport.js';

describe('redis options', () => {
  it('fills in the defaults', () => {
    const options = resolveRedisOptions({ url: 'redis://127.0.0.1:6379' });
    expect(options).toMatchObject({ ...REDIS_DEFAULTS, url: 'redis://127.0.0.1:6379' });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('refuses bad values', () => {
    expect(() => resolveRedisOptions({ url: 'http://x' })).toThrow(/redis:\/\//);
    expect(() => resolveRedisOptions({ url: 'redis://x', shards: 0 })).toThrow(/shards/);
    expect(() => resolveRedisOptions({ url: 'redis://x', blockMs: 1.5 })).toThrow(/blockMs/);
    expect(() =>
      resolveRedisOptions({ url: 'redis://x', visibilityTimeoutMs: 1_000, heartbeatIntervalMs: 500 }),
    ).toThrow(/heartbeatIntervalMs/);
    expect(() =>
      resolveRedisOptions({ url: 'redis://x', visibilityTimeoutMs: 3_000, blockMs: 3_000 }),
    ).toThrow(/blockMs/);
  });

  it('hides the password in messages', () => {
    expect(redactUrl('redis://user:secret@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactUrl('rediss://:secret@host')).toBe('rediss://:***@host');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
