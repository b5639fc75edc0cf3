/** HTTP errors of the API: a status, a stable `SB_ERR_*` code, a message saying what to fix, and the field. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { field?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }

  toJSON(): { error: { code: string; message: string; field?: string } } {
    return {
      error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) },
    };
  }
}

/** 400 naming the field: `<field>: <problem>`. */
export function badField(field: string, problem: string): HttpError {
  return new HttpError(400, 'SB_ERR_BAD_REQUEST', `${field}: ${problem}`, { field });
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'SB_ERR_BAD_REQUEST', message);
}
