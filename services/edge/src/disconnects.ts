/**
 * Every way the edge ends a connection, in one table: the close code, the reason the client reads in its
 * Disconnect frame, and whether it should reconnect. Where an error of the catalogue ends the connection,
 * its close code comes from the error table (`ErrorCodes[…].close`), so the client's error code and close
 * code cannot disagree. Call sites name a row; none picks a number.
 */
import { CloseCode, ErrorCodes, type ErrorSpec } from '@switchboard/protocol';

export interface Disconnect {
  readonly code: number;
  readonly reason: string;
  readonly reconnect: boolean;
  /** Hint for the client's reconnect delay (ms), where the row has one. */
  readonly delayMs?: number;
}

/** What a connection needs to be ended by a row of the table (Connection has both). */
export interface Closable {
  disconnect(code: number, reason: string, reconnect: boolean, reconnectDelayMs?: number): void;
  terminate(code: number, reason: string): void;
}

const row = (code: number | undefined, reason: string, reconnect: boolean, delayMs?: number): Disconnect => ({
  code: code ?? CloseCode.PolicyViolation,
  reason,
  reconnect,
  ...(delayMs === undefined ? {} : { delayMs }),
});

export const Disconnects = {
  originNotAllowed: row(CloseCode.OriginNotAllowed, 'origin not allowed', false),
  /** No Connect frame within connectTimeoutMs: a slow client, not a bad one. */
  connectTimeout: row(CloseCode.BadRequest, 'connect timeout', true),
  connectFirst: row(CloseCode.BadRequest, 'send Connect first', false),
  tokenRequired: row(ErrorCodes.Unauthorized.close, 'token required', false),
  connectionLimit: row(ErrorCodes.ConnectionLimit.close, 'too many connections', false),
  malformedFrames: row(ErrorCodes.BadFrame.close, 'malformed frames', false),
  rateLimited: row(CloseCode.RateLimited, 'rate limit exceeded', true, 1000),
  noPong: row(CloseCode.NoPong, 'no pong', true),
  /** Told already (or closing for another reason) and still there a tick later. */
  noCloseHandshake: row(CloseCode.NoPong, 'no close handshake', false),
  tokenExpired: row(ErrorCodes.TokenExpired.close, 'token expired', true),
  shutdown: row(CloseCode.Shutdown, 'node shutting down', true),
  drainTimeout: row(CloseCode.Shutdown, 'drain timeout', true),
  nodeClosing: row(CloseCode.GoingAway, 'node closing', true),
  slowConsumer: row(CloseCode.SlowConsumer, 'slow consumer', true),
  /** A backend's disconnect (API `/disconnect`, publisher) that names no close code of its own. */
  byBackend: row(CloseCode.ForceReconnect, 'disconnected by the server', true),
} as const satisfies Record<string, Disconnect>;

/** Sends Disconnect and closes, as the row says; `delayMs` overrides the row's reconnect hint. */
export function disconnect(c: Closable, d: Disconnect, delayMs = d.delayMs ?? 0): void {
  c.disconnect(d.code, d.reason, d.reconnect, delayMs);
}

/** Closes without a handshake (dead peer, forced drain, node closing). */
export function terminate(c: Closable, d: Disconnect): void {
  c.terminate(d.code, d.reason);
}

/**
 * Ends a connection for an error of the catalogue (a refused or expired token): the error table's close
 * code, or InvalidToken for an authentication error whose spec names none.
 */
export function disconnectForError(c: Closable, spec: ErrorSpec, reason = spec.message): void {
  c.disconnect(spec.close ?? CloseCode.InvalidToken, reason, false);
}
