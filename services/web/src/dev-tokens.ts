/**
 * Demo connection tokens: compact HS256 JWTs `{ sub, iat, exp }`, what the edge verifies with
 * SWITCHBOARD_JWT_SECRET. The one signer of the web process and the all-in-one (`/dev/token` in demo mode
 * only); written on node:crypto so the page's server needs no JWT library.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const DEV_TOKEN_TTL_SECONDS = 60 * 60;

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function signDevToken(secret: string, user: string, ttlSeconds = DEV_TOKEN_TTL_SECONDS): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub: user, iat: now, exp: now + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** `user => token`, the shape `createWebHandler`'s `tokenIssuer` takes. */
export function createDevTokenIssuer(secret: string, ttlSeconds = DEV_TOKEN_TTL_SECONDS) {
  return async (user: string): Promise<string> => signDevToken(secret, user, ttlSeconds);
}

/** A random HS256 secret for one run: only tokens this process issues can connect. */
export function generateDevSecret(): string {
  return randomBytes(32).toString('base64url');
}
