/**
 * One Redis, or a primary watched by Sentinel, named by one URL — the form every store and the Redis bus
 * accept (REDIS_URL, SWITCHBOARD_BUS):
 *
 *   redis://[user:pass@]host:port[/db]           one server (rediss:// for TLS)
 *   redis+sentinel://[user:pass@]host:port,host:port,…/primary-name[/db][?sentinelPassword=…]
 *
 * With Sentinel, ioredis asks the sentinels (in order) where the primary named `primary-name` is, connects
 * there, and after a failover asks again and follows the promoted replica (failoverDetector: it also
 * listens for the sentinels' +switch-master and reconnects at once). user:pass are the primary's.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

export type RedisTarget =
  | { readonly kind: 'server'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly SentinelAddress[];
      readonly name: string;
      readonly db: number;
      readonly username?: string;
      readonly password?: string;
      readonly sentinelPassword?: string;
    };

/** A Redis URL that cannot be used; the message names the setting, what is wrong and the form expected. */
export class RedisUrlError extends TypeError {
  override readonly name = 'RedisUrlError';
}

const SENTINEL_SCHEME = 'redis+sentinel://';
const SENTINEL_FORM = 'redis+sentinel://[user:pass@]host:port,host:port/primary-name[/db]';
const FORMS = `redis://host:port[/db], rediss://… or ${SENTINEL_FORM}`;
const DEFAULT_SENTINEL_PORT = 26379;

export function isRedisUrl(url: string): boolean {
  return /^(rediss?|redis\+sentinel):\/\//.test(url);
}

/** Parses `url`; `setting` (e.g. REDIS_URL) is named in every error. */
export function parseRedisUrl(url: string, setting = 'Redis URL'): RedisTarget {
  const fail = (problem: string): never => {
    throw new RedisUrlError(`${setting}: "${redact(url)}" ${problem}; set it to ${FORMS}`);
  };
  if (/^rediss?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      fail(url.includes(',') ? 'lists several hosts: for Sentinel use redis+sentinel://' : 'is not a URL');
    }
    return { kind: 'server', url };
  }
  if (!url.startsWith(SENTINEL_SCHEME)) return fail('is not a Redis URL');

  const rest = url.slice(SENTINEL_SCHEME.length);
  const [beforeQuery = '', query = ''] = splitOnce(rest, '?');
  const slash = beforeQuery.indexOf('/');
  const authority = slash < 0 ? beforeQuery : beforeQuery.slice(0, slash);
  const path = slash < 0 ? '' : beforeQuery.slice(slash + 1);
  const at = authority.lastIndexOf('@');
  const credentials = at < 0 ? '' : authority.slice(0, at);
  const hosts = at < 0 ? authority : authority.slice(at + 1);

  const sentinels = hosts
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => parseHostPort(entry, fail));
  if (sentinels.length === 0) fail('names no sentinel (host:port after redis+sentinel://)');

  const [name = '', dbText, ...extra] = path.split('/').filter((part) => part !== '');
  if (name === '') fail('names no primary: add /primary-name (the name in "sentinel monitor <name> …")');
  if (extra.length > 0) fail('has a path beyond /primary-name/db');
  let db = 0;
  if (dbText !== undefined) {
    if (!/^\d+$/.test(dbText)) fail(`has database "${dbText}", which is not a number`);
    db = Number(dbText);
  }

  const [user = '', pass] = credentials === '' ? [] : splitOnce(credentials, ':');
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'sentinelPassword') fail(`has the unknown parameter "${key}" (only sentinelPassword)`);
  }
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels,
    name: decodeURIComponent(name),
    db,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass !== undefined ? { password: decodeURIComponent(pass) } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

/**
 * An ioredis client for `url` with `options` on top (connection name, retries, …). With Sentinel, a
 * command refused with READONLY (a client still on a demoted primary) reconnects, finds the new primary
 * and is sent again.
 */
export function createRedisClient(url: string, options: RedisOptions = {}, setting?: string): Redis {
  const target = parseRedisUrl(url, setting);
  if (target.kind === 'server') return new Redis(url, options);
  return new Redis({
    sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
    name: target.name,
    db: target.db,
    username: target.username,
    password: target.password,
    sentinelPassword: target.sentinelPassword,
    failoverDetector: true,
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...options,
  });
}

function parseHostPort(entry: string, fail: (problem: string) => never): SentinelAddress {
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(entry);
  if (!match) return fail(`has the sentinel "${entry}", which is not host:port`);
  const host = (match[1] as string).replace(/^\[|\]$/g, '');
  const port = match[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[2]);
  if (port < 1 || port > 65535) fail(`has the sentinel port ${port}, outside 1..65535`);
  return { host, port };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

/** The URL with its password hidden, for errors. */
function redact(url: string): string {
  return url
    .replace(/^([a-z+]+:\/\/[^:/@]*:)[^@/]*@/i, '$1***@')
    .replace(/(sentinelPassword=)[^&]*/, '$1***');
}
