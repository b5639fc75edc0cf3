/**
 * Error catalogue of the client SDK. Errors that the server sent (Error frames, Reply.error) become
 * `ServerError` with the protocol's code; errors the client detects itself use the codes below.
 */
import { type ErrorSpec, errorByWire, SwitchboardError } from '@switchboard/protocol/client';

/** Client-side errors never travel on the wire, so their wire code is 0. */
export const ClientErrorCodes = {
  Timeout: {
    code: 'SB_ERR_CLIENT_TIMEOUT',
    wire: 0,
    message: 'no answer from the server in time',
    temporary: true,
  },
  Disconnected: {
    code: 'SB_ERR_CLIENT_DISCONNECTED',
    wire: 0,
    message: 'the connection closed before the answer arrived',
    temporary: true,
  },
  NotConnected: {
    code: 'SB_ERR_CLIENT_NOT_CONNECTED',
    wire: 0,
    message: 'the client is not connected',
    temporary: true,
  },
  Transport: {
    code: 'SB_ERR_CLIENT_TRANSPORT',
    wire: 0,
    message: 'the WebSocket failed',
    temporary: true,
  },
  Token: {
    code: 'SB_ERR_CLIENT_TOKEN',
    wire: 0,
    message: 'getToken failed',
    temporary: true,
  },
} as const satisfies Record<string, ErrorSpec>;

/** An error detected by the client itself (timeout, lost connection, no WebSocket, token callback). */
export class ClientError extends SwitchboardError {
  constructor(spec: ErrorSpec, detail?: string, options?: { cause?: unknown }) {
    super(spec, detail, options);
    this.name = 'ClientError';
  }
}

/** A command or request got no answer within its timeout. */
export class TimeoutError extends ClientError {
  constructor(detail?: string) {
    super(ClientErrorCodes.Timeout, detail);
    this.name = 'TimeoutError';
  }
}

/** The server answered with an Error frame (or a Reply carrying an error). `code` is the protocol's SB_ERR_* code. */
export class ServerError extends SwitchboardError {
  constructor(error: { code?: number | null; message?: string | null; temporary?: boolean | null }) {
    const wire = error.code ?? 0;
    const known = errorByWire(wire);
    const spec: ErrorSpec = {
      code: known?.code ?? 'SB_ERR_UNKNOWN',
      wire,
      message: known?.message ?? 'server error',
      temporary: error.temporary ?? known?.temporary ?? false,
      ...(known?.close !== undefined ? { close: known.close } : {}),
    };
    super(spec, error.message || undefined);
    this.name = 'ServerError';
  }
}
