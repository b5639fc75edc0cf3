/**
 * A synchronous accept-only path for HS256 connection tokens. jose verifies through WebCrypto: an async
 * crypto job per token (a thread-pool hop and a promise chain), which in a connect storm costs more
 * than the rest of the connect. Here the HMAC is computed with node:crypto in the calling turn.
 *
 * The path only ever ACCEPTS, and only what jose would accept with the same options: a plain header
 * (`alg` HS256, optionally `typ`/`kid`, nothing else: no `crit`, no `b64`), a valid signature, a JSON
 * object payload whose time claims are numbers and pass, and the configured `aud`/`iss`/required claims.
 * Anything else — a bad signature, an expired token, an odd header or claim — returns undefined and the
 * caller asks jose, whose answer (and error) stands. So refusals keep jose's reasons and codes.
 */
import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';

export interface FastPathOptions {
  readonly audience?: string;
  readonly issuer?: string;
  readonly requireExp: boolean;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HEADER_KEYS = new Set(['alg', 'typ', 'kid']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function json(part: string): unknown {
  try {
    return JSON.parse(utf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The payload when the token is certainly valid, else undefined (ask jose). */
export function acceptHs256(token: string, key: KeyObject, options: FastPathOptions): JWTPayload | undefined {
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  if (dot1 <= 0 || dot2 <= dot1 + 1 || token.indexOf('.', dot2 + 1) !== -1) return undefined;
  const head = token.slice(0, dot1);
  const body = token.slice(dot1 + 1, dot2);
  const signature = token.slice(dot2 + 1);
  if (!BASE64URL.test(head) || !BASE64URL.test(body) || !BASE64URL.test(signature)) return undefined;

  const header = json(head);
  if (!isObject(header) || header.alg !== 'HS256') return undefined;
  for (const [name, value] of Object.entries(header))
    if (!HEADER_KEYS.has(name) || typeof value !== 'string') return undefined;

  const expected = createHmac('sha256', key).update(token.slice(0, dot2)).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;

  const payload = json(body);
  if (!isObject(payload)) return undefined;
  const now = Math.floor(Date.now() / 1000);
  for (const claim of ['iat', 'nbf', 'exp'] as const)
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') return undefined;
  const { exp, nbf } = payload as { exp?: number; nbf?: number };
  if (exp === undefined ? options.requireExp : exp <= now) return undefined;
  if (nbf !== undefined && nbf > now) return undefined;
  if (options.issuer !== undefined && payload.iss !== options.issuer) return undefined;
  if (options.audience !== undefined) {
    const aud = payload.aud;
    if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience))))
      return undefined;
  }
  return payload as JWTPayload;
}
