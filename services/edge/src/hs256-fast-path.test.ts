import { createHmac, createSecretKey } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { acceptHs256, type FastPathOptions } from './hs256-fast-path.js';

const SECRET = 'fast-path-secret-fast-path-secret!!';
const key = createSecretKey(Buffer.from(SECRET));
const now = () => Math.floor(Date.now() / 1000);

/** A token with any header and payload, signed (or not) with `secret`. */
function raw(header: unknown, payload: unknown, secret = SECRET): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const s = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${s}`;
}

async function jose(token: string, options: FastPathOptions): Promise<boolean> {
  try {
    await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      ...(options.requireExp ? { requiredClaims: ['exp'] } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
      ...(options.issuer ? { issuer: options.issuer } : {}),
    });
    return true;
  } catch {
    return false;
  }
}

const plain: FastPathOptions = { requireExp: true };
const strict: FastPathOptions = { requireExp: true, audience: 'edge', issuer: 'me' };
const HS = { alg: 'HS256', typ: 'JWT' };

const cases: [string, string, FastPathOptions, boolean][] = [
  ['a jose-signed token', '', plain, true],
  ['a plain HS256 token', raw(HS, { sub: 'u', exp: now() + 60 }), plain, true],
  [
    'aud and iss as configured',
    raw(HS, { sub: 'u', exp: now() + 60, aud: ['x', 'edge'], iss: 'me' }),
    strict,
    true,
  ],
  [
    'another secret',
    raw(HS, { sub: 'u', exp: now() + 60 }, 'another-secret-another-secret-!!!'),
    plain,
    false,
  ],
  ['expired', raw(HS, { sub: 'u', exp: now() - 1 }), plain, false],
  ['exp now', raw(HS, { sub: 'u', exp: now() }), plain, false],
  ['no exp', raw(HS, { sub: 'u' }), plain, false],
  ['no exp, allowed', raw(HS, { sub: 'u' }), { requireExp: false }, true],
  ['exp a string', raw(HS, { sub: 'u', exp: String(now() + 60) }), plain, false],
  ['iat a string', raw(HS, { sub: 'u', exp: now() + 60, iat: 'x' }), plain, false],
  ['nbf ahead', raw(HS, { sub: 'u', exp: now() + 60, nbf: now() + 30 }), plain, false],
  ['wrong audience', raw(HS, { sub: 'u', exp: now() + 60, aud: 'other', iss: 'me' }), strict, false],
  ['no issuer', raw(HS, { sub: 'u', exp: now() + 60, aud: 'edge' }), strict, false],
  ['alg none', raw({ alg: 'none' }, { sub: 'u', exp: now() + 60 }), plain, false],
  ['alg HS512 header', raw({ alg: 'HS512' }, { sub: 'u', exp: now() + 60 }), plain, false],
  ['a crit header', raw({ ...HS, crit: ['b64'], b64: false }, { sub: 'u', exp: now() + 60 }), plain, false],
  ['an unknown header', raw({ ...HS, jku: 'https://x' }, { sub: 'u', exp: now() + 60 }), plain, false],
  ['an array payload', raw(HS, [1, 2]), plain, false],
  [
    'two parts',
    raw(HS, { sub: 'u', exp: now() + 60 })
      .split('.')
      .slice(0, 2)
      .join('.'),
    plain,
    false,
  ],
  ['four parts', `${raw(HS, { sub: 'u', exp: now() + 60 })}.x`, plain, false],
];

describe('acceptHs256', () => {
  it.each(cases)('%s', async (_name, given, options, accepted) => {
    const token =
      given ||
      (await new SignJWT({ info: { a: 1 } })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET)));
    const payload = acceptHs256(token, key, options);
    expect(payload !== undefined).toBe(accepted);
    // Never more permissive than jose: whatever the fast path accepts, jose accepts with the same options.
    if (payload) {
      expect(await jose(token, options)).toBe(true);
      expect(payload.sub).toBe('u');
    }
  });

  it('refuses a token whose payload was changed after signing', () => {
    const [h, , s] = raw(HS, { sub: 'u', exp: now() + 60 }).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', exp: now() + 60 })).toString('base64url');
    expect(acceptHs256(`${h}.${forged}.${s}`, key, plain)).toBeUndefined();
  });
});
