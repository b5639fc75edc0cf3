/** Typed errors of the bus. Publishing never fails silently: it resolves (broker accepted) or rejects with one of these. */
export class BusError extends Error {
  readonly code: `SB_ERR_BUS_${string}`;
  constructor(code: `SB_ERR_BUS_${string}`, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusError';
    this.code = code;
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
    super('SB_ERR_BUS_UNAVAILABLE', `bus unavailable: ${detail}`, options);
    this.name = 'BusUnavailableError';
    this.maybeDelivered = options?.maybeDelivered ?? false;
  }
}

/** The broker refused the message (nack, returned, or a produce error). */
export class BusRejectedError extends BusError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('SB_ERR_BUS_REJECTED', `bus rejected the message: ${detail}`, options);
    this.name = 'BusRejectedError';
  }
}

/** The transport was closed; no more publishing or consuming. */
export class BusClosedError extends BusError {
  constructor() {
    super('SB_ERR_BUS_CLOSED', 'bus transport is closed');
    this.name = 'BusClosedError';
  }
}

/** A topic, group or route that cannot be represented on the broker. */
export class BusNameError extends BusError {
  constructor(detail: string) {
    super('SB_ERR_BUS_BAD_NAME', detail);
    this.name = 'BusNameError';
  }
}
