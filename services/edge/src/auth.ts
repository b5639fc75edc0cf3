/**
 * Token verification with jose: HS256 shared secret or RS256 through a JWKS URL; exp, nbf, aud and iss are
 * checked. Connection tokens carry the user in `sub` (and optional `info`); subscription tokens for
 * `private-` channels carry `sub` and `channel`.
 */

import { ErrorCodes, type ErrorSpec } from '@switchboard/protocol';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

export interface AuthOptions {
  readonly jwtSecret?: string;
  readonly jwksUrl?: string;
  readonly jwtAudience?: string;
  readonly jwtIssuer?: string;
}

export interface Identity {
  readonly userId: string;
  readonly expiresAtMs: number;
  readonly info?: Uint8Array;
}

/** A rejected token: `spec` is InvalidToken, TokenExpired or PermissionDenied. */
export class AuthError extends Error {
  readonly spec: ErrorSpec;
  readonly reason: string;
  constructor(spec: ErrorSpec, reason: string, options?: { cause?: unknown }) {
    super(`${spec.message}: ${reason}`, options);
    this.name = 'AuthError';
    this.spec = spec;
    this.reason = reason;
  }
}

type Key = Uint8Array | ReturnType<typeof createRemoteJWKSet>;

export class Authenticator {
  readonly #key: Key | undefined;
  readonly #options: AuthOptions;

  constructor(options: AuthOptions) {
    this.#options = options;
    if (options.jwtSecret) this.#key = new TextEncoder().encode(options.jwtSecret);
    else if (options.jwksUrl) this.#key = createRemoteJWKSet(new URL(options.jwksUrl));
  }

  get enabled(): boolean {
    return this.#key !== undefined;
  }

  async #verify(token: string): Promise<JWTPayload> {
    if (!this.#key) throw new AuthError(ErrorCodes.InvalidToken, 'no token verification key is configured');
    const options = {
      algorithms: [this.#options.jwtSecret ? 'HS256' : 'RS256'],
      ...(this.#options.jwtAudience ? { audience: this.#options.jwtAudience } : {}),
      ...(this.#options.jwtIssuer ? { issuer: this.#options.jwtIssuer } : {}),
    };
    try {
      const key = this.#key;
      const { payload } =
        key instanceof Uint8Array
          ? await jwtVerify(token, key, options)
          : await jwtVerify(token, key, options);
      return payload;
    } catch (cause) {
      if (cause instanceof errors.JWTExpired)
        throw new AuthError(ErrorCodes.TokenExpired, 'expired', { cause });
      const code = (cause as { code?: string })?.code ?? 'invalid';
      throw new AuthError(ErrorCodes.InvalidToken, code, { cause });
    }
  }

  async verifyConnection(token: string): Promise<Identity> {
    const payload = await this.#verify(token);
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new AuthError(ErrorCodes.InvalidToken, 'no sub claim');
    const info =
      payload.info === undefined ? undefined : new TextEncoder().encode(JSON.stringify(payload.info));
    return {
      userId: payload.sub,
      expiresAtMs: payload.exp ? payload.exp * 1000 : 0,
      ...(info ? { info } : {}),
    };
  }

  /** A subscription token for `channel`, issued to `userId`. */
  async verifySubscription(token: string, userId: string, channel: string): Promise<void> {
    let payload: JWTPayload;
    try {
      payload = await this.#verify(token);
    } catch (error) {
      const reason = error instanceof AuthError ? error.reason : 'invalid';
      throw new AuthError(ErrorCodes.PermissionDenied, `subscription token ${reason}`, { cause: error });
    }
    if (payload.sub !== userId)
      throw new AuthError(ErrorCodes.PermissionDenied, 'subscription token is for another user');
    if (payload.channel !== channel)
      throw new AuthError(ErrorCodes.PermissionDenied, 'subscription token is for another channel');
  }
}
