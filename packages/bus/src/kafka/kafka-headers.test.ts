import { describe, expect, it } from 'vitest';
import { decodeDeadLetter } from './dead-letters.js';
import { headerText, recordBytes, toBuffer } from './kafka-headers.js';
import { HEADER_ATTEMPTS, HEADER_ERROR, HEADER_KEY } from './kafka-names.js';

describe('kafka headers and records', () => {
  it('reads string and buffer headers, first value of a list', () => {
    expect(headerText({ a: Buffer.from('x') }, 'a')).toBe('x');
    expect(headerText({ a: 'y' }, 'a')).toBe('y');
    expect(headerText({ a: [Buffer.from('1'), Buffer.from('2')] }, 'a')).toBe('1');
    expect(headerText({}, 'a')).toBeUndefined();
    expect(headerText(undefined, 'a')).toBeUndefined();
  });

  it('round-trips bytes without copying', () => {
    const backing = new Uint8Array([0, 1, 2, 3, 4]);
    const slice = backing.subarray(1, 4);
    const buffer = toBuffer(slice);
    expect([...buffer]).toEqual([1, 2, 3]);
    expect(buffer.buffer).toBe(backing.buffer);
    expect([...recordBytes(buffer)]).toEqual([1, 2, 3]);
    expect(recordBytes(null)).toHaveLength(0);
  });

  it('rebuilds a dead letter from its record', () => {
    const letter = decodeDeadLetter('orders', 'billing', {
      key: Buffer.from('k'),
      value: Buffer.from('body'),
      timestamp: '0',
      attributes: 0,
      offset: '7',
      headers: {
        [HEADER_KEY]: Buffer.from('user-1'),
        [HEADER_ATTEMPTS]: Buffer.from('3'),
        [HEADER_ERROR]: Buffer.from('boom'),
      },
    });
    expect({ ...letter, bytes: Buffer.from(letter.bytes).toString() }).toEqual({
      topic: 'orders',
      group: 'billing',
      key: 'user-1',
      bytes: 'body',
      attempts: 3,
      error: 'boom',
    });
  });
});
