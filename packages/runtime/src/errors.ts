/**
 * Errors of the process runtime, and the one place an error becomes an HTTP status or a WebSocket close
 * code. Every typed error is a `SwitchboardError` (from @switchboard/protocol, shared with the client) built
 * from a spec in its package's catalogue: the spec carries the stable code, the wire code a client sees,
 * the close code and the HTTP status. Boundaries ask `httpStatusOf` / `closeCodeOf`; no call site picks a
 * number of its own.
 *
 * This subpath (`@switchboard/runtime/errors`) imports nothing but the protocol package, so libraries that
 * must stay small (the bus) can build their errors on it.
 */
import { ErrorCodes, type ErrorSpec, SwitchboardError } from '@switchboard/protocol';

export { ErrorCodes, type ErrorSpec, SwitchboardError } from '@switchboard/protocol';

/** Codes of the runtime's own errors and of HTTP answers every server of ours gives. */
export const RuntimeErrorCodes = {
  /** One or more environment variables are missing or invalid. */
  Config: {
    code: 'SB_ERR_CONFIG',
    wire: ErrorCodes.Internal.wire,
    message: 'invalid configuration',
    temporary: false,
    http: 500,
  },
  /** No route for the path. */
  NotFound: {
    code: 'SB_ERR_NOT_FOUND',
    wire: ErrorCodes.BadRequest.wire,
    message: 'not found',
    temporary: false,
    http: 404,
  },
  /** The path exists, but not for this method. */
  MethodNotAllowed: {
    code: 'SB_ERR_METHOD_NOT_ALLOWED',
    wire: ErrorCodes.BadRequest.wire,
    message: 'method not allowed',
    temporary: false,
    http: 405,
  },
  /** A request body larger than the server accepts. */
  BodyTooLarge: {
    code: 'SB_ERR_BODY_TOO_LARGE',
    wire: ErrorCodes.BadRequest.wire,
    message: 'body too large',
    temporary: false,
    http: 413,
  },
  /** A server this one forwards to failed (the web page's order forwarding, the all-in-one's stats). */
  Upstream: {
    code: 'SB_ERR_UPSTREAM',
    wire: ErrorCodes.Unavailable.wire,
    message: 'upstream failed',
    temporary: true,
    http: 502,
  },
} as const satisfies Record<string, ErrorSpec>;

/**
 * An error that ends an HTTP request: a spec from a catalogue (its status), or an explicit status for the
 * rare answer no spec names. `field` names the request field at fault; `headers` go on the answer.
 */
export class HttpError extends SwitchboardError {
  readonly status: number;
  readonly field: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    spec: ErrorSpec,
    message?: string,
    options: { status?: number; field?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(spec, undefined, { cause: options.cause });
    this.name = 'HttpError';
    if (message !== undefined) this.message = message;
    this.status = options.status ?? this.httpStatus;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }

  toJSON(): { error: { code: string; message: string; field?: string } } {
    return {
      error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) },
    };
  }
}

/** The spec an error was built from (its code, wire code, close code and HTTP status). */
export function specOf(error: SwitchboardError): ErrorSpec {
  return {
    code: error.code as ErrorSpec['code'],
    wire: error.wire,
    message: error.message,
    temporary: error.temporary,
    http: error.httpStatus,
    ...(error.closeCode === undefined ? {} : { close: error.closeCode }),
  };
}

/** The HTTP status for any thrown value: the error's own, 500 for anything that is not ours. */
export function httpStatusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  return error instanceof SwitchboardError ? error.httpStatus : 500;
}

/** The WebSocket close code for an error that ends a connection, or `fallback` when its spec names none. */
export function closeCodeOf(error: unknown, fallback: number): number {
  return (error instanceof SwitchboardError ? error.closeCode : undefined) ?? fallback;
}
