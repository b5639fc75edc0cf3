import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode } from './close-codes.js';
import { ErrorCodes, errorByWire, SwitchboardError } from './errors.js';

const docs = readFileSync(join(import.meta.dirname, '../../../docs/protocol.md'), 'utf8');

describe('error catalogue', () => {
  const specs = Object.values(ErrorCodes);

  it('has unique string and wire codes', () => {
    expect(new Set(specs.map((s) => s.code)).size).toBe(specs.length);
    expect(new Set(specs.map((s) => s.wire)).size).toBe(specs.length);
  });

  it('documents every error code and close code in docs/protocol.md', () => {
    for (const spec of specs) expect(docs, spec.code).toContain(spec.code);
    for (const [name, code] of Object.entries(CloseCode)) expect(docs, name).toContain(`| ${code} |`);
  });

  it('builds typed errors that carry code, wire code and close code', () => {
    const error = new SwitchboardError(ErrorCodes.TokenExpired, 'exp was 5 s ago', {
      cause: new Error('jose'),
    });
    expect(error.code).toBe('SB_ERR_TOKEN_EXPIRED');
    expect(error.closeCode).toBe(CloseCode.TokenExpired);
    expect(error.message).toBe('token has expired: exp was 5 s ago');
    expect(error.cause).toBeInstanceOf(Error);
    expect(errorByWire(ErrorCodes.RateLimited.wire)).toBe(ErrorCodes.RateLimited);
    expect(errorByWire(9999)).toBeUndefined();
  });
});
