import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.js';

describe('base64 of the proto3 JSON mapping', () => {
  it('prints what Node prints (standard alphabet, padded) and reads it back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(text)).toEqual(bytes);
      }),
      { numRuns: 1_000 },
    );
  });

  it('reads URL-safe and unpadded forms of the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const url = Buffer.from(bytes).toString('base64url');
        expect(decodeBase64(url)).toEqual(bytes);
        expect(decodeBase64(Buffer.from(bytes).toString('base64').replace(/=+$/, ''))).toEqual(bytes);
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses anything else', () => {
    for (const text of [
      'a',
      'abcde',
      'ab=',
      'a===',
      'ab==cd==',
      'ab=c',
      'ab+_',
      'ab c',
      'ab\n',
      '!!!!',
      'é',
      '==',
    ]) {
      expect(decodeBase64(text), text).toBeUndefined();
    }
  });
});
