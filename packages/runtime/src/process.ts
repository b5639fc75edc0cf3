/**
 * Process plumbing every entry point shares: run `main` and turn a start-up failure into one clear line and
 * an exit code; on SIGTERM/SIGINT run the shutdown steps in the order given (stop accepting, tell clients,
 * drain, then close stores and the bus), bounded in time, and exit with one of the codes below.
 */
import { ConfigError } from './config/config-error.js';
import { shutdownProcessTracing } from './tracing.js';

/** The exit codes of every Switchboard process (docs/operations.md lists them). */
export const ExitCode = {
  /** Stopped on SIGTERM/SIGINT after every shutdown step finished. */
  Ok: 0,
  /** Start-up failed (port in use, broker unreachable, a bug), or an edge worker died. */
  Failure: 1,
  /** A shutdown step failed or the shutdown took longer than its bound. */
  ShutdownFailed: 70,
  /** The configuration is invalid; the message lists every variable at fault (sysexits EX_CONFIG). */
  Config: 78,
  /** A second SIGTERM/SIGINT arrived during shutdown: stopped at once, without finishing it. */
  Forced: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

interface ShutdownLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One step of a shutdown; a plain function is a step named by its position. */
export type ShutdownStep =
  | (() => Promise<unknown>)
  | { readonly name: string; readonly run: () => Promise<unknown> };

export interface ShutdownOptions {
  /** Bound of the whole shutdown; past it the process exits ShutdownFailed. Default 30 s. */
  readonly timeoutMs?: number;
  /** Default: `process` (tests pass an EventEmitter). */
  readonly signals?: { on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown };
  /** Default: `process.exit`. */
  readonly exit?: (code: ExitCode) => void;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Runs `steps` in order on the first SIGTERM/SIGINT, then exits Ok; ShutdownFailed when a step throws or
 * the bound passes; Forced on a second signal. Returns `stop` for a caller that decides to stop itself.
 */
export function shutdownOnSignals(
  log: ShutdownLogger,
  steps: readonly ShutdownStep[],
  options: ShutdownOptions = {},
): { stop(reason: string): Promise<void> } {
  const exit = options.exit ?? ((code: ExitCode) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    if (stopping) {
      log.error({ signal: reason }, 'second signal during shutdown: exiting now');
      exit(ExitCode.Forced);
      return stopping;
    }
    log.info({ signal: reason }, 'shutting down');
    // Spans last: the steps before (draining, stopping services) still make some.
    const all = [...steps, { name: 'export the last spans', run: shutdownProcessTracing }];
    stopping = runSteps(log, all, timeoutMs).then(exit);
    return stopping;
  };
  const signals = options.signals ?? process;
  signals.on('SIGTERM', () => void stop('SIGTERM'));
  signals.on('SIGINT', () => void stop('SIGINT'));
  return { stop };
}

async function runSteps(
  log: ShutdownLogger,
  steps: readonly ShutdownStep[],
  timeoutMs: number,
): Promise<ExitCode> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  let current = '';
  const run = async () => {
    for (const [index, step] of steps.entries()) {
      current = typeof step === 'function' ? `step ${index + 1}` : step.name;
      await (typeof step === 'function' ? step() : step.run());
    }
  };
  try {
    if ((await Promise.race([run(), timedOut])) === 'timeout') {
      log.error({ step: current, timeoutMs }, 'shutdown took too long');
      return ExitCode.ShutdownFailed;
    }
    return ExitCode.Ok;
  } catch (error) {
    log.error({ err: error, step: current }, 'shutdown failed');
    return ExitCode.ShutdownFailed;
  } finally {
    clearTimeout(timer);
  }
}

/** The exit code and the one line to print for an error that stopped a process from starting. */
export function startFailure(error: unknown): { code: ExitCode; message: string } {
  if (error instanceof ConfigError)
    return { code: ExitCode.Config, message: `config error: ${error.message}` };
  if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE')
    return {
      code: ExitCode.Failure,
      message: `${(error as Error).message}: another process uses the port; set the port variables to free ones`,
    };
  return { code: ExitCode.Failure, message: `failed to start: ${(error as Error)?.stack ?? String(error)}` };
}

/** Runs an entry point's `main`; a start-up failure prints one line to stderr and exits (see startFailure). */
export async function runMain(
  main: () => Promise<void>,
  exit: (code: ExitCode) => void = (code) => process.exit(code),
): Promise<void> {
  try {
    await main();
  } catch (error) {
    const failure = startFailure(error);
    process.stderr.write(`${failure.message}\n`);
    exit(failure.code);
  }
}
