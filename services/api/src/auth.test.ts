import { describe, expect, it } from 'vitest';
import { createAuthenticator, presentedKey } from './auth.js';
import { readApiConfig } from './config.js';

describe('auth', () => {
  it('reads Bearer and X-API-Key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });

  it('accepts only configured keys, whatever their length', () => {
    const auth = createAuthenticator(['k1', 'a-much-longer-key']);
    expect(auth.check({ authorization: 'Bearer k1' })).toBe(true);
    expect(auth.check({ 'x-api-key': 'a-much-longer-key' })).toBe(true);
    expect(auth.check({ authorization: 'Bearer k2' })).toBe(false);
    expect(auth.check({ authorization: 'Bearer k1k1' })).toBe(false);
    expect(auth.check({ authorization: 'Bearer a-much-longer-ke' })).toBe(false);
    expect(auth.check({})).toBe(false);
    expect(createAuthenticator([]).check({ authorization: 'Bearer k1' })).toBe(false);
    expect(createAuthenticator(undefined).check({})).toBe(true);
  });
});

describe('config', () => {
  it('defaults and key list', () => {
    const config = readApiConfig({ API_KEYS: 'a, b,' });
    expect(config).toMatchObject({
      httpPort: 8090,
      keys: ['a', 'b'],
      maxBodyBytes: 1024 * 1024,
      queryTimeoutMs: 5000,
      bus: 'memory',
    });
  });

  it('requires API_KEYS unless API_ALLOW_NO_AUTH=true', () => {
    expect(() => readApiConfig({})).toThrow(/API_KEYS/);
    expect(readApiConfig({ API_ALLOW_NO_AUTH: 'true' }).allowNoAuth).toBe(true);
    expect(() => readApiConfig({ API_KEYS: 'k', API_MAX_BODY_BYTES: 'big' })).toThrow(/API_MAX_BODY_BYTES/);
  });
});
