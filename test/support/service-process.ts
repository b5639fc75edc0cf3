/**
 * A Switchboard entry point (`services/<name>/src/main.ts`) run as an OS process of its own under tsx, the
 * way `pnpm topology` runs it: configured only through its environment, observed through its JSON log
 * lines, stopped with SIGTERM (the ordered shutdown, whose last step exports the last spans).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** The first JSON log line whose `msg` is `message` (already printed or coming); rejects if it exits first. */
  logged(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and the exit code; SIGKILL when it has not exited after `timeoutMs`. Idempotent. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts `entry` (relative to the repository root) with `env` over a clean environment: none of this test
 * process's SWITCHBOARD_*, OTEL_* or service settings leak into it, only PATH and the like.
 */
export function startServiceProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
): ServiceProcess {
  const path = join(root, entry);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path], {
    // The service's own folder: tsx and the workspace packages resolve from its node_modules.
    cwd: dirname(dirname(path)),
    env: { ...inheritedEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: ${entry} did not start`);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopped: Promise<number | null> | undefined;

  return {
    name,
    pid: child.pid,
    output: () => output,
    logged(message, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          const line = findLogLine(output, message);
          if (!line) return;
          done();
          resolve(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: no "${message}" log line within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`${name} exited (${code}) before logging "${message}":\n${output}`));
        });
        listeners.add(check);
        check();
      });
    },
    stop(timeoutMs = 30_000) {
      stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopped;
    },
  };
}

function findLogLine(output: string, message: string): Record<string, unknown> | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === message) return parsed;
    } catch {
      // a line still being written, or not JSON
    }
  }
  return undefined;
}

const SETTINGS =
  /^(SWITCHBOARD_|OTEL_|AMQP_|KAFKA_|REDIS_|API_|CHAT_|HISTORY_|PRESENCE_|NOTIFICATIONS_|WEB_)/;

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !SETTINGS.test(key)) env[key] = value;
  return env;
}
