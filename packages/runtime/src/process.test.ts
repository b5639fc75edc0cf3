import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config/config-error.js';
import { ExitCode, shutdownOnSignals, startFailure } from './process.js';

const quiet = { info() {}, error() {} };

function harness(steps: Parameters<typeof shutdownOnSignals>[1], timeoutMs?: number) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  let exited: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    exited = resolve;
  });
  shutdownOnSignals(quiet, steps, {
    signals,
    timeoutMs,
    exit: (code) => {
      exits.push(code);
      exited(code);
    },
  });
  return { signals, exits, done };
}

describe('shutdownOnSignals', () => {
  it('runs the steps in order once on SIGTERM, then exits Ok', async () => {
    const order: string[] = [];
    const { signals, exits, done } = harness([
      async () => void order.push('stop accepting'),
      { name: 'drain', run: async () => void order.push('drain') },
      async () => void order.push('close bus'),
    ]);
    signals.emit('SIGTERM');
    expect(await done).toBe(ExitCode.Ok);
    expect(order).toEqual(['stop accepting', 'drain', 'close bus']);
    expect(exits).toEqual([0]);
  });

  it('exits ShutdownFailed when a step throws, without running the later ones', async () => {
    const order: string[] = [];
    const { signals, done } = harness([
      async () => {
        throw new Error('store would not close');
      },
      async () => void order.push('never'),
    ]);
    signals.emit('SIGINT');
    expect(await done).toBe(ExitCode.ShutdownFailed);
    expect(order).toEqual([]);
  });

  it('exits ShutdownFailed when the steps outlast the bound, and Forced on a second signal', async () => {
    const slow = harness([() => new Promise(() => {})], 20);
    slow.signals.emit('SIGTERM');
    expect(await slow.done).toBe(ExitCode.ShutdownFailed);

    const forced = harness([() => new Promise(() => {})], 60_000);
    forced.signals.emit('SIGTERM');
    forced.signals.emit('SIGTERM');
    expect(forced.exits).toEqual([ExitCode.Forced]);
  });
});

describe('startFailure', () => {
  it('gives a config error its own code and one line naming the variables', () => {
    const failure = startFailure(new ConfigError([{ variable: 'X_PORT', problem: 'is required' }]));
    expect(failure).toEqual({
      code: 78,
      message: 'config error: invalid configuration:\n  X_PORT: is required',
    });
    const inUse = Object.assign(new Error('listen EADDRINUSE: 0.0.0.0:80'), { code: 'EADDRINUSE' });
    expect(startFailure(inUse).code).toBe(ExitCode.Failure);
    expect(startFailure(inUse).message).toContain('another process uses the port');
    expect(startFailure(new Error('boom')).code).toBe(ExitCode.Failure);
  });

  it('exit codes are distinct', () => {
    const codes = Object.values(ExitCode);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
