/**
 * The all-in-one's root logger: the runtime's logger (one set of pino settings for every process), written
 * through pino-pretty (colours, one short line per event) in a terminal, JSON lines otherwise. pino-pretty
 * runs in-thread (a stream, not a worker), so nothing is lost on exit.
 */
import { createLogger, type LogLevel } from '@switchboard/runtime';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Default: stdout is a terminal. */
  readonly pretty?: boolean;
}

export function createStandaloneLogger(options: LoggerOptions): Logger {
  const destination =
    (options.pretty ?? process.stdout.isTTY === true)
      ? pretty({
          colorize: true,
          sync: true,
          singleLine: true,
          translateTime: 'HH:MM:ss.l',
          ignore: 'pid,hostname,name',
        })
      : undefined;
  return createLogger('switchboard', {
    level: options.level,
    ...(destination ? { destination } : { pretty: false }),
  });
}
