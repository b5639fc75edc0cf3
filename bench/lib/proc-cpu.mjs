/**
 * CPU time per process from /proc (utime + stime), for "CPU-µs per connect per process": the runner reads
 * every process of a role (edge / server, broker, clients) before and after a window and divides the CPU it
 * used by the connects made in it. The broker is the host's (RabbitMQ's `beam.smp`, `redis-server`): the one in
 * this machine's mount namespace (brokers in containers have their own, and belong to other users of it).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime+stime of one process in seconds (0 once it is gone). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** utime+stime in seconds and RSS in bytes of one process (both 0 once it is gone). */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    return { cpu, rss };
  } catch {
    return { cpu: 0, rss: 0 };
  }
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp*. */
function listeningInodes(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const out = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1].endsWith(`:${hex}`) && f[3] === '0A') out.add(f[9]);
    }
  }
  return out;
}

/**
 * The host broker process (`beam.smp`: RabbitMQ; `redis-server`), or undefined (no broker column): of the
 * processes with that name in this machine's mount namespace, the one listening on `port` — other users of
 * the machine may run brokers of their own as plain processes on other ports.
 */
export function hostProcessPid(comm, port) {
  let own;
  try {
    own = readlinkSync('/proc/self/ns/mnt');
  } catch {
    return undefined;
  }
  const inodes = port ? listeningInodes(port) : new Set();
  const candidates = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      if (readlinkSync(`/proc/${entry}/ns/mnt`) !== own) continue;
      candidates.push(Number(entry));
      if (inodes.size === 0) continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry);
      }
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return candidates.sort((a, b) => a - b)[0];
}

/**
 * A CPU meter over named groups of pids: `start()` then `stop(connects)` gives, per group, the CPU seconds
 * used in the window and the µs per connect. Groups may be functions (the pids of a restarted process).
 */
export class CpuMeter {
  constructor(groups) {
    this.groups = groups;
  }

  #read() {
    const out = {};
    for (const [name, pids] of Object.entries(this.groups)) {
      const list = (typeof pids === 'function' ? pids() : pids).filter(Boolean);
      out[name] = Object.fromEntries(list.map((pid) => [pid, cpuSeconds(pid)]));
    }
    return out;
  }

  start() {
    this.t0 = performance.now();
    this.before = this.#read();
  }

  /** Per group: `{ cpuSeconds, usPerConnect, cores }` (cores: average cores busy over the window). */
  stop(connects) {
    const after = this.#read();
    const seconds = (performance.now() - this.t0) / 1000;
    const out = {};
    for (const name of Object.keys(this.groups)) {
      let used = 0;
      let vanished = false;
      for (const [pid, cpu] of Object.entries(after[name])) {
        const before = this.before[name][pid] ?? 0;
        if (cpu < before) vanished = true; // the process ended in the window: its figure would be wrong
        used += cpu - before;
      }
      if (vanished) {
        out[name] = {
          cpuSeconds: null,
          usPerConnect: null,
          cores: null,
          note: 'process ended in the window',
        };
        continue;
      }
      out[name] = {
        cpuSeconds: Math.round(used * 100) / 100,
        usPerConnect: connects > 0 ? Math.round((used * 1e6) / connects) : null,
        cores: seconds > 0 ? Math.round((used / seconds) * 100) / 100 : null,
      };
    }
    return out;
  }
}
