/**
 * Error catalogue of the wire protocol. Every error has a stable string code (`SB_ERR_*`) for logs and
 * docs, a numeric wire code carried in `Error.code` frames, and where it ends a connection, a close code.
 */
import { CloseCode } from './close-codes.js';

export interface ErrorSpec {
  readonly code: `SB_ERR_${string}`;
  readonly wire: number;
  readonly message: string;
  readonly temporary: boolean;
  readonly close?: number;
  /** The HTTP status an HTTP API answers with when this error ends a request (default 500). */
  readonly http?: number;
}

export const ErrorCodes = {
  BadFrame: {
    code: 'SB_ERR_BAD_FRAME',
    wire: 100,
    message: 'frame could not be decoded',
    temporary: false,
    http: 400,
    close: CloseCode.MalformedData,
  },
  FrameTooLarge: {
    code: 'SB_ERR_FRAME_TOO_LARGE',
    wire: 101,
    message: 'frame exceeds the maximum size',
    temporary: false,
    http: 413,
    close: CloseCode.MessageTooBig,
  },
  BadRequest: {
    code: 'SB_ERR_BAD_REQUEST',
    wire: 102,
    message: 'request is not valid',
    temporary: false,
    http: 400,
  },
  NotConnected: {
    code: 'SB_ERR_NOT_CONNECTED',
    wire: 103,
    message: 'send Connect first',
    temporary: false,
    http: 400,
  },
  InvalidToken: {
    code: 'SB_ERR_INVALID_TOKEN',
    wire: 110,
    message: 'token is invalid',
    temporary: false,
    http: 401,
    close: CloseCode.InvalidToken,
  },
  TokenExpired: {
    code: 'SB_ERR_TOKEN_EXPIRED',
    wire: 111,
    message: 'token has expired',
    temporary: false,
    http: 401,
    close: CloseCode.TokenExpired,
  },
  Unauthorized: {
    code: 'SB_ERR_UNAUTHORIZED',
    wire: 112,
    message: 'a token is required',
    temporary: false,
    http: 401,
    close: CloseCode.InvalidToken,
  },
  PermissionDenied: {
    code: 'SB_ERR_PERMISSION_DENIED',
    wire: 113,
    message: 'permission denied',
    temporary: false,
    http: 403,
  },
  NotCallable: {
    code: 'SB_ERR_NOT_CALLABLE',
    wire: 114,
    message: 'clients may not send this message type',
    temporary: false,
    http: 403,
  },
  BadChannel: {
    code: 'SB_ERR_BAD_CHANNEL',
    wire: 120,
    message: 'channel name is not valid',
    temporary: false,
    http: 400,
  },
  AlreadySubscribed: {
    code: 'SB_ERR_ALREADY_SUBSCRIBED',
    wire: 121,
    message: 'already subscribed',
    temporary: false,
    http: 409,
  },
  NotSubscribed: {
    code: 'SB_ERR_NOT_SUBSCRIBED',
    wire: 122,
    message: 'not subscribed',
    temporary: false,
    http: 404,
  },
  TooManySubscriptions: {
    code: 'SB_ERR_TOO_MANY_SUBSCRIPTIONS',
    wire: 123,
    message: 'subscription limit reached',
    temporary: false,
    http: 429,
  },
  RateLimited: {
    code: 'SB_ERR_RATE_LIMITED',
    wire: 130,
    message: 'rate limit exceeded',
    temporary: true,
    http: 429,
  },
  TooManyPending: {
    code: 'SB_ERR_TOO_MANY_PENDING',
    wire: 132,
    message: 'too many requests awaiting an answer',
    temporary: true,
    http: 429,
  },
  ConnectionLimit: {
    code: 'SB_ERR_CONNECTION_LIMIT',
    wire: 131,
    message: 'too many connections for this user',
    temporary: false,
    http: 429,
    close: CloseCode.ConnectionLimit,
  },
  Timeout: {
    code: 'SB_ERR_TIMEOUT',
    wire: 140,
    message: 'the service did not answer in time',
    temporary: true,
    http: 504,
  },
  Unavailable: {
    code: 'SB_ERR_UNAVAILABLE',
    wire: 141,
    message: 'the bus or service is unavailable',
    temporary: true,
    http: 503,
  },
  Internal: { code: 'SB_ERR_INTERNAL', wire: 150, message: 'internal error', temporary: true, http: 500 },
  ServiceError: {
    code: 'SB_ERR_SERVICE',
    wire: 151,
    message: 'the service rejected the request',
    temporary: false,
    http: 502,
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ErrorCodes;

/**
 * Base class of every typed error in Switchboard, on both tiers and in the client: a stable code, the wire
 * code a client sees, and where it ends a connection or a request, its close code and HTTP status. Each
 * package's catalogue of specs is the table; boundaries read the error, never a hand-picked number.
 */
export class SwitchboardError extends Error {
  readonly code: string;
  readonly wire: number;
  readonly temporary: boolean;
  readonly closeCode: number | undefined;
  readonly httpStatus: number;

  constructor(spec: ErrorSpec, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${spec.message}: ${detail}` : spec.message, options);
    this.name = 'SwitchboardError';
    this.code = spec.code;
    this.wire = spec.wire;
    this.temporary = spec.temporary;
    this.closeCode = spec.close;
    this.httpStatus = spec.http ?? 500;
  }
}

/** Bytes that are not a valid frame of the expected type. */
export class DecodeError extends SwitchboardError {
  constructor(what: string, options?: { cause?: unknown }) {
    super(ErrorCodes.BadFrame, what, options);
    this.name = 'DecodeError';
  }
}

/** A channel name that breaks the naming rules. */
export class ChannelNameError extends SwitchboardError {
  constructor(detail: string) {
    super(ErrorCodes.BadChannel, detail);
    this.name = 'ChannelNameError';
  }
}

export function errorByWire(wire: number): ErrorSpec | undefined {
  return Object.values(ErrorCodes).find((spec) => spec.wire === wire);
}
