/** Demo connection tokens (HS256, `sub` = the user name), for `/dev/token` in the embedded mode. */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

export const DEV_TOKEN_TTL_SECONDS = 60 * 60;

/** A random HS256 secret for one run: only tokens this process issues can connect. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function createTokenIssuer(secret: string, ttlSeconds = DEV_TOKEN_TTL_SECONDS) {
  const key = new TextEncoder().encode(secret);
  return (user: string): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
}
