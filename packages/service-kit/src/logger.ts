/**
 * The root pino logger of a service process. Only a service's entry point creates one; everything else
 * takes it (or a child) as an option. Human-readable through pino-pretty when stdout is a terminal and
 * pino-pretty is installed (it is not a dependency; without it logs stay JSON), JSON lines otherwise.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import type { LogLevel } from './config.js';

export interface CreateLoggerOptions {
  /** Default `info`. */
  readonly level?: LogLevel;
  /** Force pretty output on or off; default: on when stdout is a TTY and pino-pretty resolves. */
  readonly pretty?: boolean;
  /** Where JSON lines go (default stdout). Ignored when pretty. */
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
  const wantPretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const pretty = wantPretty ? resolvePinoPretty() : undefined;
  if (pretty) return pino({ ...settings, transport: { target: pretty, options: { colorize: true } } });
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that writes nothing: the default for libraries and for services given none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** pino-pretty's entry file, looked up from the service's working directory, then from here. */
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
