import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode, ErrorCodes } from '@switchboard/protocol';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, sign, startBus, TestClient } from './testing/harness.js';

const KID = 'edge-test-key';
const AUDIENCE = 'switchboard-edge';
const ISSUER = 'https://issuer.test';

async function signRs256(
  claims: JWTPayload,
  key: CryptoKey,
  options: { audience?: string; issuer?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: KID })
    .setIssuedAt()
    .setExpirationTime('1h');
  if (options.audience) jwt.setAudience(options.audience);
  if (options.issuer) jwt.setIssuer(options.issuer);
  return jwt.sign(key);
}

async function expectConnected(url: string, token: string, user: string): Promise<void> {
  const client = new TestClient(url, { token });
  try {
    const frame = await client.next((f) => f.kind === 'connected' || f.kind === 'error');
    expect(frame.kind).toBe('connected');
    expect(frame.connected?.userId).toBe(user);
  } finally {
    await client.close();
  }
}

async function expectInvalidToken(url: string, token: string): Promise<void> {
  const client = new TestClient(url, { token });
  try {
    const frame = await client.next((f) => f.kind === 'error' || f.kind === 'connected');
    expect(frame.kind).toBe('error');
    expect(frame.error?.code).toBe(ErrorCodes.InvalidToken.wire);
    expect((await client.closed).code).toBe(CloseCode.InvalidToken);
    expect(client.count((f) => f.kind === 'connected')).toBe(0);
  } finally {
    await client.close();
  }
}

describe('RS256 tokens verified through a JWKS URL', () => {
  let jwks: Server;
  let jwksUrl: string;
  let jwksRequests = 0;
  let privateKey: CryptoKey;
  let otherPrivateKey: CryptoKey;
  let plain: Bus;
  let strict: Bus;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherPrivateKey = (await generateKeyPair('RS256')).privateKey;
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256' }] });
    jwks = createServer((_req, res) => {
      jwksRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    plain = await startBus(1, { jwtSecret: undefined, jwksUrl });
    strict = await startBus(1, {
      jwtSecret: undefined,
      jwksUrl,
      jwtAudience: AUDIENCE,
      jwtIssuer: ISSUER,
    });
  });

  afterAll(async () => {
    await plain?.close();
    await strict?.close();
    jwks?.closeAllConnections();
    await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
  });

  it('accepts a token signed with the private key of the published JWK', async () => {
    await expectConnected(plain.nodes[0]!.url, await signRs256({ sub: 'alice' }, privateKey), 'alice');
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('rejects a token signed with another key under the same kid: Error 110 and close 3500', async () => {
    await expectInvalidToken(plain.nodes[0]!.url, await signRs256({ sub: 'mallory' }, otherPrivateKey));
  });

  it('rejects an HS256 token when keys come from a JWKS URL', async () => {
    await expectInvalidToken(plain.nodes[0]!.url, await sign({ sub: 'mallory' }, { expiresIn: '1h' }));
  });

  it('with audience and issuer configured, accepts matching aud and iss', async () => {
    const token = await signRs256({ sub: 'bob' }, privateKey, { audience: AUDIENCE, issuer: ISSUER });
    await expectConnected(strict.nodes[0]!.url, token, 'bob');
  });

  it('with audience configured, rejects a wrong or missing aud', async () => {
    const url = strict.nodes[0]!.url;
    await expectInvalidToken(
      url,
      await signRs256({ sub: 'bob' }, privateKey, { audience: 'someone-else', issuer: ISSUER }),
    );
    await expectInvalidToken(url, await signRs256({ sub: 'bob' }, privateKey, { issuer: ISSUER }));
  });

  it('with issuer configured, rejects a wrong or missing iss', async () => {
    const url = strict.nodes[0]!.url;
    await expectInvalidToken(
      url,
      await signRs256({ sub: 'bob' }, privateKey, { audience: AUDIENCE, issuer: 'https://evil.test' }),
    );
    await expectInvalidToken(url, await signRs256({ sub: 'bob' }, privateKey, { audience: AUDIENCE }));
  });
});
