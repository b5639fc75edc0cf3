import { ConfigError, SwitchboardError } from '@switchboard/runtime';
import { describe, expect, it } from 'vitest';
import { ServiceKitError, ServiceKitErrorCodes, ServiceKitErrors } from './errors.js';

describe('ServiceKitErrorCodes', () => {
  it('are unique, namespaced, and the codes of their specs', () => {
    const codes = Object.values(ServiceKitErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SB_ERR_SERVICE_[A-Z_]+$/);
    for (const [name, spec] of Object.entries(ServiceKitErrors))
      expect(spec.code).toBe(ServiceKitErrorCodes[name as keyof typeof ServiceKitErrorCodes]);
  });

  it('ServiceKitError is a SwitchboardError with its code and message; ConfigError is the runtime’s', () => {
    const error = new ServiceKitError(ServiceKitErrorCodes.BadState, 'start() on a stopped service');
    expect(error).toBeInstanceOf(SwitchboardError);
    expect([error.code, error.message, error.httpStatus]).toEqual([
      'SB_ERR_SERVICE_BAD_STATE',
      'start() on a stopped service',
      500,
    ]);
    expect(new ConfigError([{ variable: 'A', problem: 'is required' }]).code).toBe('SB_ERR_CONFIG');
  });
});
