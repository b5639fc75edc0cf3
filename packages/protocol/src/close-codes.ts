/**
 * WebSocket close codes used by edges, and whether a client should reconnect.
 *
 * Ranges follow the centrifuge convention so that a client can decide without knowing every code:
 * - 1000–2999: standard RFC 6455 codes (1009 too big, 1007 malformed data, 1001 going away).
 * - 3000–3499: the server closed for its own reasons; reconnect (with backoff).
 * - 3500–3999: the server refuses this client as it is; do not reconnect with the same credentials.
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** A WebSocket framing error (bad opcode, unmasked frame, reserved bits): Error 100 first. */
  ProtocolError: 1002,
  MalformedData: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  /** Node is draining (SIGTERM, deploy): reconnect elsewhere after the hinted delay. */
  Shutdown: 3000,
  /** The connection could not keep up (queued bytes over the bound): reconnect and recover. */
  SlowConsumer: 3001,
  /** No pong within the idle timeout. */
  NoPong: 3002,
  /** Disconnected by a backend (API /disconnect) but allowed back. */
  ForceReconnect: 3003,
  /** Rate limit exceeded repeatedly: reconnect after backoff. */
  RateLimited: 3004,
  /** Bus unavailable for too long. */
  BusUnavailable: 3005,
  /** Token invalid (bad signature, audience, issuer): do not retry with the same token. */
  InvalidToken: 3500,
  /** Token expired: refresh the token, then reconnect. */
  TokenExpired: 3501,
  /** Disconnected by a backend for good (ban, logout). */
  ForceDisconnect: 3502,
  /** Too many connections for this user. */
  ConnectionLimit: 3503,
  /** Protocol misuse (no Connect frame in time, bad subprotocol). */
  BadRequest: 3504,
  /** Origin not in the allow-list. */
  OriginNotAllowed: 3505,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Whether a client should reconnect after the server closed with `code`. */
export function shouldReconnect(code: number): boolean {
  if (code === CloseCode.TokenExpired) return true; // after refreshing the token
  if (code >= 3500 && code <= 3999) return false;
  if (code >= 4500 && code <= 4999) return false;
  if (code === CloseCode.MessageTooBig || code === CloseCode.MalformedData) return false;
  if (code === CloseCode.PolicyViolation || code === CloseCode.ProtocolError) return false;
  return true;
}
