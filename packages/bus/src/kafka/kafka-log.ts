/** The injected logger (pino-like, default silent) and the bridge that routes kafkajs logs into it. */
import { type LogEntry, logLevel } from 'kafkajs';

type LogFn = (obj: object, msg?: string) => void;

export interface BusLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const RETRIES_LIMITED_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

const noop: LogFn = () => undefined;
export const silentLogger: BusLogger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * kafkajs' logCreator for `logger`. kafkajs INFO lines (joins, starts, stops) are routine, so they go to
 * debug; WARN and ERROR keep their level.
 */
export function kafkaLogCreator(logger: BusLogger) {
  return () =>
    (entry: LogEntry): void => {
      const { message, ...fields } = entry.log;
      const obj = { kafka: entry.namespace, ...fields };
      switch (entry.level) {
        case logLevel.ERROR:
          logger.error(obj, message);
          break;
        case logLevel.WARN:
          // kafkajs warns whenever an idempotent producer's retries are bounded; ours are on purpose, and a
          // failed batch is retried unchanged or moved to a new producer id (idempotent-producer.ts).
          if (message === RETRIES_LIMITED_WARNING) logger.debug(obj, message);
          else logger.warn(obj, message);
          break;
        default:
          logger.debug(obj, message);
      }
    };
}

/** Silent loggers get nothing from kafkajs at all; others get everything up to INFO. */
export function kafkaLogLevel(logger: BusLogger): logLevel {
  return logger === silentLogger ? logLevel.NOTHING : logLevel.INFO;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
