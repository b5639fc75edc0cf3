/**
 * The runner's child processes: every server, publisher, service and load-generator process is forked
 * through here, so that each gets its log file under <out>/logs/, an unexpected exit is reported at once,
 * and Ctrl-C or the end of a run stops all of them (a leftover server would skew the next run).
 * Children talk to the runner over IPC: `waitFor` awaits one message type from one child.
 */
import { fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/: the files a child runs are named relative to it, and children run in it. */
const benchDir = fileURLToPath(new URL('..', import.meta.url));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The first message of `type` from `child`; rejects when the child exits first or after `timeoutMs`. */
export function waitFor(child, type, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${child.name}: no "${type}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMsg = (m) => {
      if (m?.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${child.name} exited (${code}) before "${type}"; see bench/results/logs/${child.name}.log`,
        ),
      );
    };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/**
 * The children of one run. `out`: the results directory (logs and profiles go under it); `profile`: the
 * run profiles its servers, whose --cpu-prof write on exit can take long, so stopping waits longer.
 */
export function createProcesses({ out, profile: profiling }) {
  const children = new Set();
  let shuttingDown = false;

  function spawnProc(name, file, argv = [], { ts = false, profile = false } = {}) {
    const execArgv = [];
    if (ts) execArgv.push('--import', 'tsx');
    if (profile) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(out, 'profiles', name)}`);
    const child = fork(isAbsolute(file) ? file : join(benchDir, file), argv, {
      cwd: benchDir,
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const log = createWriteStream(join(out, 'logs', `${name}.log`));
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.name = name;
    child.spec = { name, file, argv, ts, profile }; // the storm scenario starts a killed server again
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (!child.stopping && !shuttingDown)
        process.stderr.write(
          `\n${name} exited (${code ?? signal}); see ${join(out, 'logs', `${name}.log`)}\n`,
        );
    });
    return child;
  }

  /** Asks a child to end (IPC disconnect), and kills it if it has not after 3 s (30 s when profiling). */
  async function stopProc(child) {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stopping = true;
    const exited = new Promise((r) => child.once('exit', r));
    if (child.connected) child.disconnect();
    await Promise.race([exited, sleep(profiling ? 30_000 : 3000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  async function shutdown() {
    shuttingDown = true;
    await Promise.all([...children].map(stopProc));
  }

  return { spawnProc, waitFor, stopProc, shutdown };
}
