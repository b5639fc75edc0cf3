/**
 * HS256 connection tokens for the load generator, signed with the edge's bench secret: `sub` is the user
 * (`bench-u<i>`), `exp` two hours ahead. Built with node:crypto before the clock starts, so signing is
 * not counted as client CPU per connect (jose's async signing would cost more than the connect itself).
 */
import { createHmac } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function hs256Token(secret, userId, ttlSeconds = 7200) {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const body = Buffer.from(JSON.stringify({ sub: userId, exp })).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${HEADER}.${body}`).digest('base64url');
  return `${HEADER}.${body}.${signature}`;
}
