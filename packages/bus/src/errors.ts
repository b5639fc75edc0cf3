/** Typed errors of the bus. Publishing never fails silently: it resolves (broker accepted) or rejects with one of these. */
export class BusError extends Error {
  readonly code: `SB_ERR_BUS_${string}`;
  constructor(code: `SB_ERR_BUS_${string}`, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusError';
    this.code = code;
  }
}

/** The broker stayed unreachable longer than the publish timeout. */
export class BusUnavailableError extends BusError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('SB_ERR_BUS_UNAVAILABLE', `bus unavailable: ${detail}`, options);
    this.name = 'BusUnavailableError';
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
