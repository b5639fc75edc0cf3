import { readFileSync } from 'node:fs';
import { ErrorCodes } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { ClientErrorCodes, ServerError, TimeoutError } from './errors.js';

describe('client error catalogue', () => {
  const codes = Object.values(ClientErrorCodes).map((spec) => spec.code);

  it('has unique codes that do not clash with the protocol catalogue', () => {
    const protocolCodes = new Set<string>(Object.values(ErrorCodes).map((spec) => spec.code));
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(protocolCodes.has(code)).toBe(false);
  });

  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of codes) expect(readme).toContain(code);
  });

  it('maps wire codes of server errors to protocol codes', () => {
    const error = new ServerError({ code: ErrorCodes.TokenExpired.wire, message: 'exp' });
    expect(error).toMatchObject({
      code: 'SB_ERR_TOKEN_EXPIRED',
      closeCode: 3501,
      message: 'token has expired: exp',
    });
    expect(new ServerError({ code: 9999, message: 'new' })).toMatchObject({
      code: 'SB_ERR_UNKNOWN',
      wire: 9999,
    });
    expect(new TimeoutError('x')).toMatchObject({ name: 'TimeoutError', code: 'SB_ERR_CLIENT_TIMEOUT' });
  });
});
