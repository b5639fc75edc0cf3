/**
 * Process plumbing every service entry point shares: run `main`, print a config error as one clear line,
 * and shut down in a fixed order on SIGTERM/SIGINT (service first, then stores, then the bus).
 */
import { ConfigError } from './errors.js';

interface ShutdownLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Runs each step in order on the first SIGTERM/SIGINT, then exits 0 (1 when a step failed). */
export function shutdownOnSignals(log: ShutdownLogger, steps: readonly (() => Promise<unknown>)[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      for (const step of steps) await step();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Runs a service's `main`; a start-up failure exits 1, a ConfigError with just its message. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
