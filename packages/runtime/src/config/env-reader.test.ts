import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { EnvReader } from './env-reader.js';
import { integer } from './fields.js';

describe('EnvReader', () => {
  it('collects every problem and throws them together, naming each variable', () => {
    const read = new EnvReader({ A_PORT: 'eighty', A_FLAG: 'maybe', A_COUNT: '-1' });
    expect(read.int('A_PORT', 80, { max: 65535 })).toBe(80);
    expect(read.bool('A_FLAG', false)).toBe(false);
    expect(read.int('A_COUNT', 5, { min: 1 })).toBe(5);
    let error: unknown;
    try {
      read.check();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['A_PORT', 'A_FLAG', 'A_COUNT']);
    expect((error as ConfigError).message).toContain(
      'A_PORT: "eighty" is not an integer between 0 and 65535; set it to an integer between 0 and 65535, or unset it for the default 80',
    );
  });

  it('reads values, lists and defaults, and remembers every name it looked at', () => {
    const read = new EnvReader({ B_LIST: ' a, ,b ', B_NUM: ' 7 ', B_BLANK: '  ' });
    expect(read.list('B_LIST', [])).toEqual(['a', 'b']);
    expect(read.int('B_NUM', 1)).toBe(7);
    expect(read.raw('B_BLANK')).toBeUndefined();
    expect(read.read(integer('B_UNSET', { optional: true }))).toBeUndefined();
    expect([...read.names]).toEqual(['B_LIST', 'B_NUM', 'B_BLANK', 'B_UNSET']);
    expect(() => read.check()).not.toThrow();
  });

  it('picks a setting or its older name, and records the older one as deprecated', () => {
    const read = new EnvReader({ OLD_PORT: '81' });
    expect(read.int(read.pick('NEW_PORT', 'OLD_PORT'), 80)).toBe(81);
    expect([...read.deprecated]).toEqual([['OLD_PORT', 'NEW_PORT']]);
    const both = new EnvReader({ NEW_PORT: '80', OLD_PORT: '81' });
    both.pick('NEW_PORT', 'OLD_PORT');
    expect(() => both.check()).toThrow('NEW_PORT: conflicts with OLD_PORT; set only NEW_PORT');
  });
});
