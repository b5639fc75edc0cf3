/**
 * The root pino logger of a process. Only an entry point creates one (`createLogger`); everything else takes
 * it, or a child, as an option and defaults to `silentLogger()`. JSON lines with an ISO time by default;
 * human-readable through pino-pretty when asked or when stdout is a terminal and pino-pretty resolves (it is
 * not a dependency: without it logs stay JSON). A process with its own pretty stream passes it as
 * `destination`.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import type { LogLevel } from './config/settings.js';

export interface CreateLoggerOptions {
  /** Default `info`. */
  readonly level?: LogLevel;
  /** Force pretty output on or off; default: on when stdout is a TTY and pino-pretty resolves. */
  readonly pretty?: boolean;
  /** Where lines go (default stdout). Wins over `pretty`. */
  readonly destination?: DestinationStream;
  /** Fields bound to every line (e.g. instance id). */
  readonly base?: Record<string, unknown>;
}

export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const settings: LoggerOptions = {
    name,
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(settings, options.destination);
  const pretty = (options.pretty ?? process.stdout.isTTY === true) ? resolvePinoPretty() : undefined;
  if (pretty) return pino({ ...settings, transport: { target: pretty, options: { colorize: true } } });
  return pino(settings);
}

/** A logger that writes nothing: the default for libraries and for components given none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** pino-pretty's entry file, looked up from the process's working directory, then from here. */
function resolvePinoPretty(): string | undefined {
  for (const base of [join(process.cwd(), 'noop.js'), import.meta.url]) {
    try {
      return createRequire(base).resolve('pino-pretty');
    } catch {
      // not installed there
    }
  }
  return undefined;
}
