/**
 * Token verification with jose: HS256 shared secret or RS256 through a JWKS URL; exp, nbf, aud and iss are
 * checked. Two kinds of token, told apart by the `channel` claim:
 * - a connection token (Connect, `?token=`, Refresh) carries the user in `sub` (and optional `info`) and must
 *   NOT carry `channel`: otherwise a subscription token handed out for one private channel would also
 *   open connections as its user;
 * - a subscription token for a `private-` channel carries `sub` (the connection's user) and `channel`.
 * Both must carry `exp` unless `allowTokensWithoutExp` (a token without one would be valid forever), and
 * both are refused unread past `maxTokenBytes` (the signature check hashes the whole token). The user id
 * (`sub` of a connection token) becomes a route on the bus, a `user:` channel and a log field: it is
 * bounded (`maxUserIdBytes` of UTF-8) and must be printable.
 */

import { createSecretKey, type KeyObject } from 'node:crypto';
import { ErrorCodes, type ErrorSpec } from '@switchboard/protocol';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { acceptHs256 } from './hs256-fast-path.js';

export interface AuthOptions {
  readonly jwtSecret?: string;
  readonly jwksUrl?: string;
  readonly jwtAudience?: string;
  readonly jwtIssuer?: string;
  /** Accept tokens without `exp`. Default false. */
  readonly allowTokensWithoutExp?: boolean;
  /** Longest token accepted, in bytes. Default DEFAULT_MAX_TOKEN_BYTES. */
  readonly maxTokenBytes?: number;
  /** Longest user id (`sub`) accepted, in UTF-8 bytes. Default DEFAULT_MAX_USER_ID_BYTES. */
  readonly maxUserIdBytes?: number;
}

export const DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;
export const DEFAULT_MAX_USER_ID_BYTES = 128;

/**
 * Control (C0, DEL, C1), format (e.g. zero-width and bidi overrides), surrogate and private-use characters,
 * line/paragraph separators, and every space but U+0020: what would make a user id print as something it
 * is not, or break a log line.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/** Why `userId` cannot be a user id, or undefined when it can. The reasons are fixed strings (metric labels). */
export function userIdProblem(userId: string, maxBytes: number): string | undefined {
  if (userId === '') return 'no sub claim';
  if (Buffer.byteLength(userId, 'utf8') > maxBytes) return 'sub claim longer than limits.maxUserIdBytes';
  if (UNPRINTABLE.test(userId)) return 'sub claim has control, format or separator characters';
  return undefined;
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
  /** The HS256 secret for the synchronous accept path (hs256-fast-path.ts); jose has the last word. */
  readonly #hmacKey: KeyObject | undefined;
  readonly #options: AuthOptions;

  constructor(options: AuthOptions) {
    this.#options = options;
    if (options.jwtSecret) {
      this.#key = new TextEncoder().encode(options.jwtSecret);
      this.#hmacKey = createSecretKey(this.#key);
    } else if (options.jwksUrl) this.#key = createRemoteJWKSet(new URL(options.jwksUrl));
  }

  get enabled(): boolean {
    return this.#key !== undefined;
  }

  async #verify(token: string): Promise<JWTPayload> {
    if (!this.#key) throw new AuthError(ErrorCodes.InvalidToken, 'no token verification key is configured');
    // token.length is a lower bound of its UTF-8 size: the exact count only runs on tokens that might fit.
    const maxBytes = this.#options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
    if (token.length > maxBytes || Buffer.byteLength(token, 'utf8') > maxBytes)
      throw new AuthError(ErrorCodes.InvalidToken, 'token longer than limits.maxTokenBytes');
    if (this.#hmacKey) {
      const accepted = acceptHs256(token, this.#hmacKey, {
        requireExp: !this.#options.allowTokensWithoutExp,
        ...(this.#options.jwtAudience ? { audience: this.#options.jwtAudience } : {}),
        ...(this.#options.jwtIssuer ? { issuer: this.#options.jwtIssuer } : {}),
      });
      if (accepted) return accepted;
    }
    const options = {
      algorithms: [this.#options.jwtSecret ? 'HS256' : 'RS256'],
      ...(this.#options.allowTokensWithoutExp ? {} : { requiredClaims: ['exp'] }),
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
      if (
        cause instanceof errors.JWTClaimValidationFailed &&
        cause.claim === 'exp' &&
        cause.reason === 'missing'
      )
        throw new AuthError(ErrorCodes.InvalidToken, 'no exp claim (allowTokensWithoutExp is off)', {
          cause,
        });
      const code = (cause as { code?: string })?.code ?? 'invalid';
      throw new AuthError(ErrorCodes.InvalidToken, code, { cause });
    }
  }

  async verifyConnection(token: string): Promise<Identity> {
    const payload = await this.#verify(token);
    if (payload.channel !== undefined)
      throw new AuthError(ErrorCodes.InvalidToken, 'a subscription token (channel claim) cannot connect');
    const userId = typeof payload.sub === 'string' ? payload.sub : '';
    const problem = userIdProblem(userId, this.#options.maxUserIdBytes ?? DEFAULT_MAX_USER_ID_BYTES);
    if (problem !== undefined) throw new AuthError(ErrorCodes.InvalidToken, problem);
    const info =
      payload.info === undefined ? undefined : new TextEncoder().encode(JSON.stringify(payload.info));
    return {
      userId,
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
    if (typeof payload.channel !== 'string')
      throw new AuthError(ErrorCodes.PermissionDenied, 'subscription token has no channel claim');
    if (payload.channel !== channel)
      throw new AuthError(ErrorCodes.PermissionDenied, 'subscription token is for another channel');
  }
}
