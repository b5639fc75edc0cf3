/**
 * Typed errors of the bus. Publishing never fails silently: it resolves (broker accepted) or rejects with one
 * of these. Each is a SwitchboardError built from a spec below (stable code, the wire code a client sees,
 * the HTTP status), so the edge and the API map them by their spec, not by their class name.
 */
import { ErrorCodes, type ErrorSpec, SwitchboardError } from '@switchboard/protocol';

type BusCode = `SB_ERR_BUS_${string}`;

/** A bus failure reaches a client as Unavailable (temporary) unless its spec says otherwise. */
function spec(
  code: BusCode,
  message: string,
  extra: Omit<Partial<ErrorSpec>, 'code'> = {},
): ErrorSpec & { code: BusCode } {
  return { code, wire: ErrorCodes.Unavailable.wire, message, temporary: true, http: 503, ...extra };
}

export const BusErrorCodes = {
  Unavailable: spec('SB_ERR_BUS_UNAVAILABLE', 'bus unavailable'),
  /** Written to a broker connection that died before the broker confirmed: it may have been delivered. */
  OutcomeUnknown: spec('SB_ERR_BUS_OUTCOME_UNKNOWN', 'bus outcome unknown', { http: 504 }),
  Rejected: spec('SB_ERR_BUS_REJECTED', 'bus rejected the message'),
  Closed: spec('SB_ERR_BUS_CLOSED', 'bus transport is closed'),
  BadName: spec('SB_ERR_BUS_BAD_NAME', 'bad bus name', {
    wire: ErrorCodes.BadRequest.wire,
    temporary: false,
    http: 400,
  }),
} as const;

export class BusError extends SwitchboardError {
  declare readonly code: BusCode;

  /** `message` replaces the spec's text when given (the detail already says it all). */
  constructor(spec: ErrorSpec & { code: BusCode }, message?: string, options?: { cause?: unknown }) {
    super(spec, undefined, options);
    this.name = 'BusError';
    if (message !== undefined) this.message = message;
  }
}

/**
 * The broker stayed unreachable longer than the publish timeout. `maybeDelivered` tells the two cases apart
 * that a caller must treat differently: false — the message never reached a broker connection, it will not
 * appear later (retrying is safe); true — it was written to a connection that died before the broker
 * confirmed, so the broker may have routed it (outcome unknown: a retry may duplicate it).
 */
export class BusUnavailableError extends BusError {
  maybeDelivered: boolean;
  constructor(detail: string, options?: { cause?: unknown; maybeDelivered?: boolean }) {
    super(BusErrorCodes.Unavailable, `bus unavailable: ${detail}`, options);
    this.name = 'BusUnavailableError';
    this.maybeDelivered = options?.maybeDelivered ?? false;
  }
}

/** The broker refused the message (nack, returned, or a produce error). */
export class BusRejectedError extends BusError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(BusErrorCodes.Rejected, `bus rejected the message: ${detail}`, options);
    this.name = 'BusRejectedError';
  }
}

/** The transport was closed; no more publishing or consuming. */
export class BusClosedError extends BusError {
  constructor() {
    super(BusErrorCodes.Closed);
    this.name = 'BusClosedError';
  }
}

/** A topic, group or route that cannot be represented on the broker. */
export class BusNameError extends BusError {
  constructor(detail: string) {
    super(BusErrorCodes.BadName, detail);
    this.name = 'BusNameError';
  }
}
