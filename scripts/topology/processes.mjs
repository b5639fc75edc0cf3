// Process helpers of the plain-process topology: free ports, detached children with a log file each,
// liveness by pid, HTTP health probes, and a bounded stop (SIGTERM, then SIGKILL).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on right now (the kernel's pick). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** True when `port` on 127.0.0.1 can be bound now. */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Starts `command` in its own process group (it outlives `topology up`), stdout and stderr appended to
 * `logFile`. Returns the pid.
 */
export function startDetached(command, args, { env, cwd, logFile }) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { env, cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The process exists (and is not a zombie of ours). */
export function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Live members of process group `pgid` (read from /proc). A pid is not reused while it names a live
 * group, so members found here are the ones we started (the leader or the children it left behind).
 */
export function groupMembers(pgid) {
  const members = [];
  let entries = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return alive(pgid) ? [pgid] : [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] = state, fields[2] = pgrp
      if (fields[2] === String(pgid) && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return members;
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stops the process group led by `pid` (each child was started detached, so tsx and its node child share
 * it): SIGTERM, then SIGKILL for whatever is left after `graceMs`. Resolves once no member is left.
 */
export async function stopProcess(pid, graceMs) {
  if (groupMembers(pid).length === 0) return 'gone';
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (groupMembers(pid).length === 0) return 'stopped';
    await sleep(50);
  }
  if (groupMembers(pid).length > 0) signalGroup(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (groupMembers(pid).length > 0 && Date.now() < killDeadline) await sleep(50);
  return groupMembers(pid).length > 0 ? 'stuck' : 'killed';
}

/** GET http://127.0.0.1:port/path; resolves `{ status }` or `{ error }`, never rejects. */
export function probe(port, path, timeoutMs = 2_000) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** Last `lines` lines of a log file ('' when missing). */
export function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
