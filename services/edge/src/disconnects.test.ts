import { CloseCode, ErrorCodes } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { Disconnects, disconnect, disconnectForError, terminate } from './disconnects.js';

function recorder() {
  const calls: unknown[][] = [];
  return {
    calls,
    disconnect: (...args: unknown[]) => void calls.push(['disconnect', ...args]),
    terminate: (...args: unknown[]) => void calls.push(['terminate', ...args]),
  };
}

describe('Disconnects', () => {
  it('takes the close code of an error-backed row from the error table', () => {
    expect(Disconnects.tokenRequired.code).toBe(ErrorCodes.Unauthorized.close);
    expect(Disconnects.tokenExpired.code).toBe(ErrorCodes.TokenExpired.close);
    expect(Disconnects.connectionLimit.code).toBe(ErrorCodes.ConnectionLimit.close);
    expect(Disconnects.malformedFrames.code).toBe(ErrorCodes.BadFrame.close);
  });

  it('uses only close codes of the protocol, each with a reason', () => {
    const codes = new Set<number>(Object.values(CloseCode));
    for (const [name, row] of Object.entries(Disconnects)) {
      expect(codes.has(row.code), name).toBe(true);
      expect(row.reason.length, name).toBeGreaterThan(0);
    }
  });

  it('ends a connection as the row says, and for an error by its table entry', () => {
    const c = recorder();
    disconnect(c, Disconnects.rateLimited);
    disconnect(c, Disconnects.shutdown, 250);
    terminate(c, Disconnects.drainTimeout);
    disconnectForError(c, ErrorCodes.TokenExpired);
    disconnectForError(c, ErrorCodes.PermissionDenied);
    expect(c.calls).toEqual([
      ['disconnect', CloseCode.RateLimited, 'rate limit exceeded', true, 1000],
      ['disconnect', CloseCode.Shutdown, 'node shutting down', true, 250],
      ['terminate', CloseCode.Shutdown, 'drain timeout'],
      ['disconnect', CloseCode.TokenExpired, 'token has expired', false],
      ['disconnect', CloseCode.InvalidToken, 'permission denied', false],
    ]);
  });
});
