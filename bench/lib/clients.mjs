/**
 * The load generator's receiving side, seen from the runner: the client processes (client-proc.mjs, at
 * most `--per-proc` sockets each, because of the per-process fd limit) that connect to a peer's servers,
 * count or decode what they receive and, in roundtrip, send. `Clients` drives them over IPC as one group
 * and adds up their counts and latency histograms.
 */
import { Histogram } from './histogram.mjs';
import { JWT_SECRET } from './peers.mjs';
import { waitFor } from './processes.mjs';
import { progress } from './terminal.mjs';

/** HS256 tokens for `n` users `bench-u<i>`, signed before the clock starts (roundtrip senders). */
async function tokens(n) {
  if (n === 0) return [];
  const { SignJWT } = await import('jose');
  const key = new TextEncoder().encode(JWT_SECRET);
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`bench-u${i}`)
        .setExpirationTime('2h')
        .sign(key),
    ),
  );
}

/**
 * `startClients(peer, total, {senders, mode, jwt})`: forks the client processes for `total` connections
 * to a started peer and resolves with their `Clients` once every process is initialised (not connected).
 * `clientProcs`: `--client-procs` as given, or undefined (enough processes for `total`).
 */
export function clientStarter({ cfg, scenario, clientProcs, processes }) {
  const { spawnProc, stopProc } = processes;
  return async function startClients(peer, total, { senders = 0, mode = cfg.mode, jwt = false } = {}) {
    const nProcs =
      clientProcs === undefined ? Math.max(1, Math.ceil(total / cfg.perProc)) : Number(clientProcs);
    const per = Math.ceil(total / nProcs);
    const localAddresses = Array.from({ length: cfg.sources }, (_, i) => `127.0.0.${i + 2}`);
    const targets = peer.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
    const senderTokens = peer.protocol === 'switchboard' ? await tokens(senders) : [];
    const procs = [];
    for (let i = 0; i < nProcs; i++) {
      const count = Math.min(per, total - i * per);
      if (count <= 0) break;
      const c = spawnProc(`${scenario}-${peer.peer}-clients${i}`, 'lib/client-proc.mjs');
      c.snapshot = { connected: 0, ready: 0, failed: 0, frames: 0, sent: 0, replies: 0 };
      c.on('message', (m) => {
        if (m.type === 'progress' || m.type === 'connected') c.snapshot = m;
      });
      c.send({
        type: 'init',
        config: {
          peer: peer.protocol,
          targets,
          start: i * per,
          count,
          localAddresses,
          mode,
          probeEvery: cfg.probeEvery,
          channel: peer.channel ?? 'bench',
          concurrency: cfg.concurrency,
          senders: i === 0 ? senders : 0,
          tokens: i === 0 ? senderTokens : [],
          roundtrip: scenario === 'roundtrip',
          jwtSecret: jwt && peer.protocol === 'switchboard' ? JWT_SECRET : undefined,
        },
      });
      await waitFor(c, 'inited');
      procs.push(c);
    }
    return new Clients(procs, stopProc);
  };
}

export class Clients {
  /**
   * `procs`: the forked client processes, each keeping its latest progress report in `snapshot`;
   * `stopProc`: how the run stops a child (processes.mjs).
   */
  constructor(procs, stopProc) {
    this.procs = procs;
    this.stopProc = stopProc;
  }

  /** Opens every connection; resolves with the time it took and the ready/failed counts. */
  async connect(label) {
    const t0 = performance.now();
    const done = this.procs.map((c) => waitFor(c, 'connected', 600_000));
    for (const c of this.procs) c.send({ type: 'connect' });
    const ticker = setInterval(
      () => progress(`${label} connecting ${this.sum('ready')} ready, ${this.sum('failed')} failed`),
      250,
    );
    const results = await Promise.all(done);
    clearInterval(ticker);
    const took = (performance.now() - t0) / 1000;
    const ready = results.reduce((a, r) => a + r.ready, 0);
    const failed = results.reduce((a, r) => a + r.failed, 0);
    if (failed > 0) {
      const snap = await this.collect();
      process.stderr.write(
        `\n${label}: ${failed} connections failed (${snap.errorSample ?? 'no message'})\n`,
      );
    }
    return { took, ready, failed };
  }

  /** A count over all processes from their latest reports (every 50 ms): cheap, a little behind. */
  sum(key) {
    return this.procs.reduce((a, c) => a + (c.snapshot[key] ?? 0), 0);
  }

  /** Sends `type` to every process and resolves with their `reply` messages. */
  async all(type, reply, extra = {}) {
    const waits = this.procs.map((c) => waitFor(c, reply));
    for (const c of this.procs) c.send({ type, ...extra });
    return Promise.all(waits);
  }

  /** Zeroes the counters and histograms of every process (the start of a measured step). */
  async reset() {
    await this.all('reset', 'reset-done');
    for (const c of this.procs) c.snapshot = { ...c.snapshot, frames: 0, sent: 0, replies: 0 };
  }

  /** The exact counts and merged histograms of every process, asked for (not the last reports). */
  async collect() {
    const parts = await this.all('collect', 'collected');
    const latency = new Histogram();
    const connectLatency = new Histogram();
    const replyLatency = new Histogram();
    const out = {
      frames: 0,
      gaps: 0,
      reorders: 0,
      decodeErrors: 0,
      sent: 0,
      replies: 0,
      ready: 0,
      closed: 0,
    };
    for (const p of parts) {
      for (const k of Object.keys(out)) out[k] += p[k] ?? 0;
      latency.merge(p.latency);
      if (p.connectLatency) connectLatency.merge(p.connectLatency);
      replyLatency.merge(p.replyLatency);
      out.errorSample ??= p.errorSample;
    }
    return { ...out, latency, replyLatency, connectLatency };
  }

  async close() {
    for (const c of this.procs) c.send({ type: 'close' });
    await Promise.all(this.procs.map(this.stopProc));
  }
}
