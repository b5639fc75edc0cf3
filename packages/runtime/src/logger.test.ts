import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

describe('createLogger', () => {
  it('writes JSON lines with the name, at the chosen level and above', () => {
    const { lines, destination } = capture();
    const log = createLogger('chat', { level: 'warn', destination, base: { instance: 'i-1' } });
    log.info('hidden');
    log.warn({ room: 'r1' }, 'shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'chat', instance: 'i-1', level: 40, room: 'r1', msg: 'shown' });
    expect(typeof lines[0]!.time).toBe('string');
  });

  it('defaults to info', () => {
    const { lines, destination } = capture();
    const log = createLogger('chat', { destination });
    log.debug('hidden');
    log.info('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
