import { describe, expect, it } from 'vitest';
import { isRedisUrl, parseRedisUrl, RedisUrlError } from './redis-connection.js';

describe('parseRedisUrl', () => {
  it('keeps a one-server URL as it is', () => {
    expect(parseRedisUrl('redis://:pw@h:6379/2')).toEqual({ kind: 'server', url: 'redis://:pw@h:6379/2' });
    expect(parseRedisUrl('rediss://h')).toEqual({ kind: 'server', url: 'rediss://h' });
  });

  it('reads sentinels, primary name, database and credentials of a Sentinel URL', () => {
    expect(parseRedisUrl('redis+sentinel://app:s%40cret@s1:26401,s2:26402, [::1]:26403/mymaster/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26401 },
        { host: 's2', port: 26402 },
        { host: '::1', port: 26403 },
      ],
      name: 'mymaster',
      db: 3,
      username: 'app',
      password: 's@cret',
    });
  });

  it('defaults the sentinel port to 26379 and the database to 0, and reads sentinelPassword', () => {
    expect(parseRedisUrl('redis+sentinel://:pw@s1,s2/m?sentinelPassword=x')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'm',
      db: 0,
      password: 'pw',
      sentinelPassword: 'x',
    });
  });

  it('names the setting and the fix when the primary name is missing', () => {
    const parse = () => parseRedisUrl('redis+sentinel://s1:26401,s2:26402', 'REDIS_URL');
    expect(parse).toThrow(RedisUrlError);
    expect(parse).toThrow(/^REDIS_URL: .* names no primary: add \/primary-name/);
    expect(parse).toThrow(/set it to .*redis\+sentinel:\/\/\[user:pass@\]host:port,host:port\/primary-name/);
  });

  it('refuses a bad sentinel address, a bad database and unknown parameters', () => {
    expect(() => parseRedisUrl('redis+sentinel://s1:notaport/m', 'X')).toThrow(
      /"s1:notaport", which is not host:port/,
    );
    expect(() => parseRedisUrl('redis+sentinel://s1:99999/m', 'X')).toThrow(/port 99999, outside/);
    expect(() => parseRedisUrl('redis+sentinel://s1/m/zero', 'X')).toThrow(/database "zero"/);
    expect(() => parseRedisUrl('redis+sentinel://s1/m?tls=1', 'X')).toThrow(/unknown parameter "tls"/);
    expect(() => parseRedisUrl('redis+sentinel:///m', 'X')).toThrow(/names no sentinel/);
  });

  it('points a host list on redis:// to the Sentinel form, hiding the password', () => {
    const parse = () => parseRedisUrl('redis://:secret@a:6379,b:6379', 'SWITCHBOARD_BUS');
    expect(parse).toThrow(
      /^SWITCHBOARD_BUS: "redis:\/\/:\*\*\*@a:6379,b:6379" lists several hosts: for Sentinel use redis\+sentinel:\/\//,
    );
  });

  it('refuses other schemes', () => {
    expect(() => parseRedisUrl('http://h', 'REDIS_URL')).toThrow(
      /REDIS_URL: "http:\/\/h" is not a Redis URL/,
    );
    expect(isRedisUrl('redis+sentinel://s/m')).toBe(true);
    expect(isRedisUrl('amqp://h')).toBe(false);
  });
});
