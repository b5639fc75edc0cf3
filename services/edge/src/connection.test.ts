import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Connection } from './connection.js';
import { EdgeMetrics } from './metrics.js';

/** Enough of a WebSocket for state that never touches the socket. */
const fakeWs = { extensions: '', bufferedAmount: 0, readyState: 1, OPEN: 1 } as unknown as WebSocket;

function connection(log: Logger): Connection {
  return new Connection('n.c', fakeWs, 'protobuf', log, new EdgeMetrics('n'), {
    maxQueuedBytes: 1 << 20,
    rateLimitPerSecond: 10,
    rateLimitBurst: 10,
  });
}

/** A pino logger at `level` writing JSON lines (without `time`) to an array; `children` counts child(). */
function recording(level: string) {
  const lines: Record<string, unknown>[] = [];
  const counter = { children: 0 };
  const root = pino(
    {
      level,
      base: { node: 'n' },
      timestamp: false,
      onChild: () => {
        counter.children++;
      },
    },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { root, lines, counter };
}

describe('connection logger', () => {
  it('writes what the eager pino children would, bindings in the same order', () => {
    const eager = recording('debug');
    const direct = eager.root.child({ conn: 'n.c' }).child({ user: 'u1' });
    direct.info({ code: 1000 }, 'closed');
    direct.debug('connected');

    const lazy = recording('debug');
    const c = connection(lazy.root); // the connection adds its `conn` binding itself
    c.log = c.log.child({ user: 'u1' });
    c.log.info({ code: 1000 }, 'closed');
    c.log.debug('connected');

    expect(lazy.lines).toEqual(eager.lines);
    expect(Object.keys(lazy.lines[0]!)).toEqual(Object.keys(eager.lines[0]!));
    expect(lazy.lines[0]).toMatchObject({ node: 'n', conn: 'n.c', user: 'u1', code: 1000, msg: 'closed' });
  });

  it('builds the pino child on the first record at an enabled level, once', () => {
    const { root, lines, counter } = recording('info');
    const c = connection(root);
    c.log = c.log.child({ user: 'u1' });
    c.log.debug('not logged');
    expect(counter.children).toBe(0);
    expect(lines).toEqual([]);
    c.log.warn('one');
    c.log.error({ err: new Error('x') }, 'two');
    expect(counter.children).toBe(2); // `conn`, then `user` under it
    expect(lines.map((l) => [l.msg, l.user, l.conn])).toEqual([
      ['one', 'u1', 'n.c'],
      ['two', 'u1', 'n.c'],
    ]);
  });

  it('logs with the connection id bound, building that child once', () => {
    const { root, lines, counter } = recording('info');
    const c = connection(root);
    c.log.info('hello');
    c.log.info('again');
    expect(counter.children).toBe(1);
    lines.pop();
    expect(lines).toEqual([{ level: 30, node: 'n', conn: 'n.c', msg: 'hello' }]);
  });
});

describe('connection channels', () => {
  const silent = pino({ level: 'silent' });

  it('holds none, one or several channels', () => {
    const c = connection(silent);
    expect([...c.channels]).toEqual([]);
    expect(c.removeChannel('a')).toBe(false);
    expect(c.addChannel('a')).toBe(true);
    expect(c.addChannel('a')).toBe(false);
    expect([...c.channels]).toEqual(['a']);
    expect(c.hasChannel('a')).toBe(true);
    expect(c.channelCount).toBe(1);
    expect(c.addChannel('b')).toBe(true);
    expect(c.addChannel('c')).toBe(true);
    expect(c.addChannel('b')).toBe(false);
    expect([...c.channels]).toEqual(['a', 'b', 'c']);
    expect(c.channelCount).toBe(3);
    expect(c.removeChannel('b')).toBe(true);
    expect(c.removeChannel('b')).toBe(false);
    expect(c.removeChannel('a')).toBe(true);
    expect([...c.channels]).toEqual(['c']);
    expect(c.removeChannel('x')).toBe(false);
    expect(c.removeChannel('c')).toBe(true);
    expect(c.channelCount).toBe(0);
    expect(c.addChannel('d')).toBe(true);
    expect([...c.channels]).toEqual(['d']);
  });

  it('connections do not share their channels', () => {
    const a = connection(silent);
    const b = connection(silent);
    a.addChannel('x');
    expect(b.hasChannel('x')).toBe(false);
    expect(b.channelCount).toBe(0);
  });
});
