import { CloseCode, ErrorCodes, SwitchboardError } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config/config-error.js';
import { closeCodeOf, HttpError, httpStatusOf, RuntimeErrorCodes } from './errors.js';

describe('error table', () => {
  it('gives every spec a stable, unique code and an HTTP status', () => {
    const specs = [...Object.values(ErrorCodes), ...Object.values(RuntimeErrorCodes)];
    expect(new Set(specs.map((s) => s.code)).size).toBe(specs.length);
    for (const spec of specs) {
      expect(spec.code).toMatch(/^SB_ERR_[A-Z_]+$/);
      expect(spec.http, spec.code).toBeGreaterThanOrEqual(400);
    }
  });

  it('maps an error to its HTTP status and close code from its spec, anything else to 500 / the fallback', () => {
    expect(httpStatusOf(new SwitchboardError(ErrorCodes.RateLimited))).toBe(429);
    expect(httpStatusOf(new SwitchboardError(ErrorCodes.Unavailable))).toBe(503);
    expect(httpStatusOf(new ConfigError([]))).toBe(500);
    expect(httpStatusOf(new Error('bug'))).toBe(500);
    expect(closeCodeOf(new SwitchboardError(ErrorCodes.TokenExpired), CloseCode.InvalidToken)).toBe(
      CloseCode.TokenExpired,
    );
    expect(closeCodeOf(new SwitchboardError(ErrorCodes.RateLimited), CloseCode.BadRequest)).toBe(
      CloseCode.BadRequest,
    );
    expect(closeCodeOf('not an error', CloseCode.InternalError)).toBe(CloseCode.InternalError);
  });

  it('HttpError is a SwitchboardError with the status of its spec unless given one', () => {
    const notFound = new HttpError(RuntimeErrorCodes.NotFound, 'no route /x');
    expect(notFound).toBeInstanceOf(SwitchboardError);
    expect([notFound.status, notFound.code, notFound.message]).toEqual([
      404,
      'SB_ERR_NOT_FOUND',
      'no route /x',
    ]);
    expect(httpStatusOf(notFound)).toBe(404);
    const field = new HttpError(ErrorCodes.BadRequest, 'name: required', { field: 'name' });
    expect(field.toJSON()).toEqual({
      error: { code: 'SB_ERR_BAD_REQUEST', message: 'name: required', field: 'name' },
    });
    expect(new HttpError(ErrorCodes.Unavailable, 'down', { status: 504 }).status).toBe(504);
  });

  it('ConfigError lists every problem, one per line', () => {
    const error = new ConfigError([
      { variable: 'A', problem: 'is required' },
      { variable: 'B', problem: '"x" is not an integer' },
    ]);
    expect(error).toBeInstanceOf(SwitchboardError);
    expect(error.code).toBe('SB_ERR_CONFIG');
    expect(error.message).toBe('invalid configuration:\n  A: is required\n  B: "x" is not an integer');
  });
});
