/**
 * The all-in-one's root logger: pino-pretty (colours, one short line per event) in a terminal, JSON lines
 * otherwise. pino-pretty runs in-thread (a stream, not a worker), so nothing is lost on exit.
 */

import type { LogLevel } from '@switchboard/service-kit';
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Default: stdout is a terminal. */
  readonly pretty?: boolean;
}

export function createStandaloneLogger(options: LoggerOptions): Logger {
  const settings = {
    name: 'switchboard',
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.pretty ?? process.stdout.isTTY === true)
    return pino(
      settings,
      pretty({
        colorize: true,
        sync: true,
        singleLine: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,name',
      }),
    );
  return pino(settings);
}
