/**
 * API-key check. A key comes as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Both sides are hashed
 * with SHA-256 first, so `timingSafeEqual` always compares two 32-byte buffers: neither the length of a
 * configured key nor how many leading characters match leaks through timing. Every configured key is
 * compared (no early exit), so the position of the matching key does not leak either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** The key a request presents, or undefined when it presents none. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return key ? key.trim() || undefined : undefined;
}

export interface Authenticator {
  /** True when auth is disabled or the request presents one of the configured keys. */
  check(headers: IncomingHttpHeaders): boolean;
}

/** `keys` undefined: no authentication (embedded demo only). An empty list rejects everything. */
export function createAuthenticator(keys: readonly string[] | undefined): Authenticator {
  if (keys === undefined) return { check: () => true };
  const digests = keys.map(digest);
  return {
    check(headers) {
      const key = presentedKey(headers);
      if (key === undefined) return false;
      const presented = digest(key);
      let ok = false;
      for (const expected of digests) ok = timingSafeEqual(presented, expected) || ok;
      return ok;
    },
  };
}
