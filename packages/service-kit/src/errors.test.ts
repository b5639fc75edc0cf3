import { describe, expect, it } from 'vitest';
import { ConfigError, ServiceKitError, ServiceKitErrorCodes } from './errors.js';

describe('ServiceKitErrorCodes', () => {
  it('are unique and namespaced', () => {
    const codes = Object.values(ServiceKitErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SB_ERR_(SERVICE_[A-Z_]+|CONFIG)$/);
  });

  it('ConfigError is a ServiceKitError listing every problem', () => {
    const error = new ConfigError([
      { variable: 'A', problem: 'is required' },
      { variable: 'B', problem: '"x" is not an integer' },
    ]);
    expect(error).toBeInstanceOf(ServiceKitError);
    expect(error.message).toBe('invalid configuration:\n  A: is required\n  B: "x" is not an integer');
  });
});
