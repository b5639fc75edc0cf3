/**
 * `pnpm bench <scenario> [options]`: starts each peer, the load generator's client processes and the
 * publisher (each its own process), runs the scenario, prints a progress line and a final table, and writes
 * bench/results/<scenario>-<YYYY-MM-DD>.json plus an SVG chart next to it. See bench/README.md.
 */
import { fork } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Histogram } from './lib/histogram.mjs';
import { args } from './lib/pub-driver.mjs';
import { barChart } from './lib/svg.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['fanout', 'connections', 'latency', 'roundtrip', 'storm'];
const ALL_PEERS = [
  'ws-batched',
  'ws-naive',
  'socketio',
  'switchboard-memory',
  'switchboard-amqp',
  'switchboard-kafka',
  'switchboard-redis',
];

export const USAGE = `usage: pnpm bench <scenario> [options]

scenarios:
  fanout        one channel, N subscribers, 100-byte payload; publisher at max rate (credit flow) and fixed rates
  connections   idle connections: connect rate, CPU-µs per connect (server, broker, clients), RSS per connection
  latency       publish->deliver p50/p99/p999 at 25/50/75% of the peer's max rate
  roundtrip     client send -> service (Switchboard: chat + history) -> room fan-out
  storm         N clients reconnecting like the SDK; SIGKILL the server, restart: time to all ready again

common options:
  --peers a,b,...        ${ALL_PEERS.join(', ')} (default: all but kafka)
  --nodes N              server processes per peer (edge workers / Socket.IO nodes / ws servers), default 1
  --subscribers N        receivers (default 1000; connections: --connections)
  --duration S           measured seconds per step (default 10); --warmup S (default 2)
  --mode lean|verify     receivers: count frame headers only (default) or decode fully and check order
  --client-procs N       load-generator processes (default: ceil(connections / 15000), at least 1)
  --sources N            loopback source addresses 127.0.0.2 … (default 8)
  --amqp URL             default amqp://guest:guest@127.0.0.1:5672
  --redis URL            default redis://127.0.0.1:6379
  --kafka host:port      an existing broker (default: start the KRaft JVM of test/support/kafka-broker.ts)
  --profile              run server processes with --cpu-prof (profiles in bench/results/profiles/)
  --out DIR              results directory (default bench/results)
fanout:      --rates max,500,1000   (messages/s published; max = credit-limited)  --window N (max-rate credit)
connections: --connections N (default 10000) --concurrency N (per client process, default 64) --hold S (default 3)
             --jwt on|off|both (Switchboard clients present HS256 tokens; default both: a row each)
             --rounds N (every peer N times, interleaved; the summary gives medians and spreads)
latency:     --max-rate R (messages/s; default: measured first with a max run) --percents 25,50,75 --probe-every N (10)
             --repeat N (3: each rate measured N times; the table gives the median and the spread of the p99)
roundtrip:   --senders N (default 10) --rate R (sends/s in total, default 100)
storm:       --connections N (default 10000) --repeat N (runs per peer, default 3) --jwt on|off (Switchboard, default on)
`;

const opts = args(process.argv.slice(3));
const scenario = process.argv[2];
if (!scenario || !SCENARIOS.includes(scenario) || opts.help) {
  process.stderr.write(USAGE);
  process.exit(scenario && !SCENARIOS.includes(scenario) ? 2 : 1);
}

const num = (v, d) => (v === undefined ? d : Number(v));
const cfg = {
  peers: (opts.peers ?? ALL_PEERS.filter((p) => p !== 'switchboard-kafka').join(',')).split(','),
  nodes: num(opts.nodes, 1),
  subscribers: num(opts.subscribers, 1000),
  connections: num(opts.connections, 10_000),
  duration: num(opts.duration, 10),
  warmup: num(opts.warmup, 2),
  mode: opts.mode ?? (scenario === 'latency' || scenario === 'roundtrip' ? 'peek' : 'lean'),
  sources: num(opts.sources, 8),
  perProc: num(opts['per-proc'], 15_000),
  concurrency: num(opts.concurrency, 64),
  hold: num(opts.hold, 3),
  jwt: opts.jwt ?? 'both',
  rounds: num(opts.rounds, 1),
  rates: (opts.rates ?? 'max').split(',').map((r) => (r === 'max' ? 'max' : Number(r))),
  window: opts.window ? Number(opts.window) : undefined,
  maxRate: opts['max-rate'] ? Number(opts['max-rate']) : undefined,
  percents: (opts.percents ?? '25,50,75').split(',').map(Number),
  probeEvery: num(opts['probe-every'], 10),
  repeat: num(opts.repeat, 3),
  senders: num(opts.senders, 10),
  rate: num(opts.rate, 100),
  amqp: opts.amqp ?? 'amqp://guest:guest@127.0.0.1:5672',
  redis: opts.redis ?? 'redis://127.0.0.1:6379',
  kafka: opts.kafka,
  profile: opts.profile === 'true',
  out: resolve(opts.out ?? join(here, 'results')), // absolute: children (--cpu-prof-dir) run in bench/
};
for (const p of cfg.peers)
  if (!ALL_PEERS.includes(p)) fail(`unknown peer "${p}" (known: ${ALL_PEERS.join(', ')})`);
if (cfg.mode === 'verify' && scenario !== 'fanout' && scenario !== 'latency') cfg.mode = 'peek';

function fail(message) {
  process.stderr.write(`pnpm bench: ${message}\n`);
  process.exit(2);
}

const date = new Date().toISOString().slice(0, 10);
mkdirSync(join(cfg.out, 'logs'), { recursive: true });
const children = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- processes

function spawnProc(name, file, argv = [], { ts = false, profile = false } = {}) {
  const execArgv = [];
  if (ts) execArgv.push('--import', 'tsx');
  if (profile) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(cfg.out, 'profiles', name)}`);
  const child = fork(join(here, file), argv, {
    cwd: here,
    execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const log = createWriteStream(join(cfg.out, 'logs', `${name}.log`));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.name = name;
  child.spec = { name, file, argv, ts, profile }; // the storm scenario starts a killed server again
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!child.stopping && !shuttingDown)
      process.stderr.write(
        `\n${name} exited (${code ?? signal}); see ${join(cfg.out, 'logs', `${name}.log`)}\n`,
      );
  });
  return child;
}

function waitFor(child, type, timeoutMs = 60_000) {
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

async function stopProc(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.stopping = true;
  const exited = new Promise((r) => child.once('exit', r));
  if (child.connected) child.disconnect();
  await Promise.race([exited, sleep(cfg.profile ? 30_000 : 3000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

let shuttingDown = false;
async function shutdown() {
  shuttingDown = true;
  await Promise.all([...children].map(stopProc));
}
process.on('SIGINT', () => void shutdown().finally(() => process.exit(130)));

/** utime+stime in seconds and RSS in bytes of one process, from /proc. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / 100;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    return { cpu, rss };
  } catch {
    return { cpu: 0, rss: 0 };
  }
}

// ---------------------------------------------------------------- peers

let kafkaBrokers = cfg.kafka;
async function ensureKafka() {
  if (kafkaBrokers) return kafkaBrokers;
  process.stderr.write('starting Kafka (KRaft JVM, up to 90 s)…\n');
  const k = spawnProc('kafka', 'peers/kafka.ts', [], { ts: true });
  const m = await waitFor(k, 'ready', 120_000);
  kafkaBrokers = m.brokers.join(',');
  return kafkaBrokers;
}

const JWT_SECRET = 'bench-secret-bench-secret-bench-secret';

/** Starts one peer: server processes, publisher, services. Returns targets, pids and the publisher. */
async function startPeer(peer, { services = false } = {}) {
  const nodes = peer === 'switchboard-memory' ? 1 : cfg.nodes;
  const servers = [];
  let publisher;
  const extra = [];
  const tag = `${scenario}-${peer}`;
  if (peer === 'ws-batched' || peer === 'ws-naive') {
    const mode = peer === 'ws-batched' ? 'batched' : 'naive';
    for (let i = 0; i < nodes; i++)
      servers.push(
        spawnProc(`${tag}-server${i}`, 'peers/ws-server.mjs', ['--mode', mode], { profile: cfg.profile }),
      );
    const ready = await Promise.all(servers.map((s) => waitFor(s, 'ready')));
    for (const [i, s] of servers.entries()) s.port = ready[i].port;
    publisher = spawnProc(`${tag}-publisher`, 'peers/ws-publisher.mjs', [
      '--urls',
      servers.map((s) => `ws://127.0.0.1:${s.port}/pub`).join(','),
    ]);
    await waitFor(publisher, 'ready');
    return { peer, nodes, protocol: 'ws', servers, publisher, extra, path: '/ws' };
  }
  if (peer === 'socketio') {
    for (let i = 0; i < nodes; i++)
      servers.push(
        spawnProc(`${tag}-node${i}`, 'peers/socketio-server.mjs', ['--redis', cfg.redis], {
          profile: cfg.profile,
        }),
      );
    const ready = await Promise.all(servers.map((s) => waitFor(s, 'ready')));
    for (const [i, s] of servers.entries()) s.port = ready[i].port;
    publisher = spawnProc(`${tag}-emitter`, 'peers/socketio-publisher.mjs', ['--redis', cfg.redis]);
    await waitFor(publisher, 'ready');
    return { peer, nodes, protocol: 'socketio', servers, publisher, extra };
  }
  const bus =
    peer === 'switchboard-memory'
      ? 'memory'
      : peer === 'switchboard-amqp'
        ? cfg.amqp
        : peer === 'switchboard-redis'
          ? cfg.redis
          : `kafka://${await ensureKafka()}`;
  const channel = services ? 'chat:bench' : 'bench';
  const common = ['--bus', bus, '--jwt-secret', JWT_SECRET, '--channel', channel];
  if (bus === 'memory') {
    const s = spawnProc(
      `${tag}-edge0`,
      'peers/switchboard-edge.ts',
      [...common, '--publisher', ...(services ? ['--services'] : [])],
      {
        ts: true,
        profile: cfg.profile,
      },
    );
    s.port = (await waitFor(s, 'ready')).port;
    servers.push(s);
    return {
      peer,
      nodes: 1,
      protocol: 'switchboard',
      servers,
      publisher: s,
      extra,
      channel,
      note: 'memory bus: publisher (and services) in the edge process',
    };
  }
  for (let i = 0; i < nodes; i++)
    servers.push(
      spawnProc(
        `${tag}-edge${i}`,
        'peers/switchboard-edge.ts',
        [...common, '--node-id', `bench-${process.pid}-e${i}`],
        {
          ts: true,
          profile: cfg.profile,
        },
      ),
    );
  const ready = await Promise.all(servers.map((s) => waitFor(s, 'ready', 120_000)));
  for (const [i, s] of servers.entries()) s.port = ready[i].port;
  if (services) {
    const svc = spawnProc(`${tag}-services`, 'peers/switchboard-services.ts', ['--bus', bus], { ts: true });
    await waitFor(svc, 'ready', 120_000);
    extra.push(svc);
  }
  publisher = spawnProc(
    `${tag}-publisher`,
    'peers/switchboard-publisher.ts',
    ['--bus', bus, '--channel', channel],
    { ts: true },
  );
  await waitFor(publisher, 'ready', 120_000);
  return { peer, nodes, protocol: 'switchboard', servers, publisher, extra, channel };
}

async function stopPeer(p) {
  if (!p) return;
  await Promise.all([
    ...(p.publisher !== p.servers[0] ? [stopProc(p.publisher)] : []),
    ...p.extra.map(stopProc),
  ]);
  await Promise.all(p.servers.map(stopProc));
}

// ---------------------------------------------------------------- clients

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

class Clients {
  constructor(procs) {
    this.procs = procs;
    this.last = new Map();
  }

  static async start(peer, total, { senders = 0, mode = cfg.mode, jwt = false } = {}) {
    const nProcs = num(opts['client-procs'], Math.max(1, Math.ceil(total / cfg.perProc)));
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
    return new Clients(procs);
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

  sum(key) {
    return this.procs.reduce((a, c) => a + (c.snapshot[key] ?? 0), 0);
  }

  async all(type, reply, extra = {}) {
    const waits = this.procs.map((c) => waitFor(c, reply));
    for (const c of this.procs) c.send({ type, ...extra });
    return Promise.all(waits);
  }

  async reset() {
    await this.all('reset', 'reset-done');
    for (const c of this.procs) c.snapshot = { ...c.snapshot, frames: 0, sent: 0, replies: 0 };
  }

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
    await Promise.all(this.procs.map(stopProc));
  }
}

// ---------------------------------------------------------------- output

let lastProgress = 0;
function progress(line) {
  const now = Date.now();
  if (now - lastProgress < 200) return;
  lastProgress = now;
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
  else process.stderr.write(`${line}\n`);
}
const endProgress = () => process.stderr.isTTY && process.stderr.write('\r\x1b[2K');

const k = (v) =>
  v === null || v === undefined
    ? '–'
    : v >= 1e6
      ? `${(v / 1e6).toFixed(2)}M`
      : v >= 1e4
        ? `${(v / 1e3).toFixed(1)}k`
        : `${Math.round(v * 10) / 10}`;

function table(rows, columns) {
  const head = columns.map((c) => c.label);
  const body = rows.map((r) => columns.map((c) => String(c.value(r))));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function save(results, chart) {
  const file = join(cfg.out, `${scenario}-${date}.json`);
  const { out: _out, ...options } = cfg;
  writeFileSync(
    file,
    `${JSON.stringify({ scenario, date: new Date().toISOString(), machine: machine(), options, results }, null, 2)}\n`,
  );
  writeFileSync(file.replace(/\.json$/, '.svg'), barChart(chart));
  process.stdout.write(`\nwrote ${file} and ${file.replace(/\.json$/, '.svg')}\n`);
}

// ---------------------------------------------------------------- scenarios

/** Runs the publisher at `rate` for warmup + duration; measures deliveries at the receivers. */
async function publishStep(peer, clients, subscribers, rate, label) {
  const pub = peer.publisher;
  const base = (
    await (async () => {
      const w = waitFor(pub, 'count');
      pub.send({ type: 'count' });
      return w;
    })()
  ).published;
  await quiesce(clients);
  await clients.reset();
  // The credit loop (receivers report every 50 ms) lets the publisher run at most about `window` messages
  // per report ahead: 100,000 frames in flight capped every fast peer at ~2,000 messages/s (2M deliveries/s
  // at 1,000 subscribers) with the servers partly idle. 1,000,000 frames no longer limits any peer here:
  // doubling it does not raise a max (bench/README.md, "max").
  const window = cfg.window ?? Math.max(20, Math.ceil(1_000_000 / subscribers));
  let published = base;
  const onPub = (m) => {
    if (m.type === 'published') published = m.published;
  };
  pub.on('message', onPub);
  pub.send({ type: 'run', rate, allow: base + window });
  await waitFor(pub, 'running');
  const creditTimer =
    rate === 'max'
      ? setInterval(
          () =>
            pub.send({
              type: 'credit',
              allow: base + Math.floor(clients.sum('frames') / subscribers) + window,
            }),
          10,
        )
      : undefined;
  const pids = peer.servers.map((s) => s.pid);
  const t0 = performance.now();
  const total = cfg.warmup + cfg.duration;
  let mark;
  let lastF = 0;
  let lastT = t0;
  let rateNow = 0;
  while (true) {
    await sleep(100);
    const t = performance.now();
    const el = (t - t0) / 1000;
    const f = clients.sum('frames');
    if (t - lastT >= 500) {
      rateNow = ((f - lastF) * 1000) / (t - lastT);
      lastF = f;
      lastT = t;
    }
    if (!mark && el >= cfg.warmup) mark = { t, frames: f, published, cpu: pids.map((p) => procStat(p).cpu) };
    progress(
      `${label} ${el.toFixed(1)}/${total}s  deliveries ${k(rateNow)}/s  published ${k(published - base)}  ${mark ? 'measuring' : 'warm-up'}`,
    );
    if (el >= total) break;
  }
  const t1 = performance.now();
  const f1 = clients.sum('frames');
  const p1 = published;
  const cpu1 = pids.map((p) => procStat(p).cpu);
  clearInterval(creditTimer);
  pub.send({ type: 'stop' });
  const stopped = await waitFor(pub, 'stopped');
  pub.off('message', onPub);
  await quiesce(clients);
  const final = await clients.collect();
  endProgress();
  const dt = (t1 - mark.t) / 1000;
  const sent = stopped.published - base;
  return {
    rate,
    ...(rate === 'max' ? { window } : {}),
    seconds: Math.round(dt * 100) / 100,
    published: sent,
    publishedPerSec: Math.round((p1 - mark.published) / dt),
    deliveriesPerSec: Math.round((f1 - mark.frames) / dt),
    delivered: final.frames,
    expected: sent * subscribers,
    deliveredRatio: sent ? Math.round((final.frames / (sent * subscribers)) * 10000) / 10000 : null,
    serverCpuPct: cpu1.map((c, i) => Math.round(((c - mark.cpu[i]) / dt) * 100)),
    serverRssMiB: pids.map((p) => Math.round(procStat(p).rss / 2 ** 20)),
    gaps: final.gaps,
    reorders: final.reorders,
    decodeErrors: final.decodeErrors,
    latency: final.latency.summary(),
    errorSample: final.errorSample,
  };
}

/** Waits until the receivers' frame count stops moving (backlog drained), at most 15 s. */
async function quiesce(clients) {
  const until = performance.now() + 15_000;
  let last = -1;
  let still = 0;
  while (performance.now() < until && still < 3) {
    await sleep(150);
    const f = clients.sum('frames');
    still = f === last ? still + 1 : 0;
    last = f;
  }
}

async function withPeer(peer, fn, options) {
  let p;
  let clients;
  try {
    p = await startPeer(peer, options);
    return await fn(p, (c) => (clients = c));
  } catch (error) {
    endProgress();
    process.stderr.write(`\n${peer}: ${error.message}\n`);
    return [{ peer, error: error.message }];
  } finally {
    await clients?.close();
    await stopPeer(p);
  }
}

async function fanout() {
  const results = [];
  for (const peer of cfg.peers) {
    const rows = await withPeer(peer, async (p, keep) => {
      const clients = keep(await Clients.start(p, cfg.subscribers));
      const conn = await clients.connect(peer);
      const out = [];
      for (const rate of cfg.rates) {
        const r = await publishStep(
          p,
          clients,
          conn.ready,
          rate,
          `${peer} ${rate === 'max' ? 'max' : `${rate}/s`}`,
        );
        out.push({ peer, nodes: p.nodes, subscribers: conn.ready, mode: cfg.mode, note: p.note, ...r });
      }
      return out;
    });
    results.push(...rows);
    printFanout(rows);
  }
  process.stdout.write(`\n${table(results, fanoutColumns)}\n`);
  const maxRows = results.filter((r) => !r.error);
  const series = [...new Set(maxRows.map((r) => (r.rate === 'max' ? 'max' : `${r.rate}/s`)))];
  save(results, {
    title: `fanout: deliveries/s, ${cfg.subscribers} subscribers, 100 B, ${cfg.nodes} node(s)`,
    unit: 'deliveries/s',
    series,
    groups: cfg.peers.map((peer) => ({
      label: peer,
      values: series.map(
        (s) =>
          maxRows.find((r) => r.peer === peer && (r.rate === 'max' ? 'max' : `${r.rate}/s`) === s)
            ?.deliveriesPerSec ?? null,
      ),
    })),
  });
}

const fanoutColumns = [
  { label: 'peer', value: (r) => r.peer },
  { label: 'nodes', value: (r) => r.nodes ?? '' },
  { label: 'subs', value: (r) => r.subscribers ?? '' },
  { label: 'rate', value: (r) => (r.error ? 'ERROR' : r.rate) },
  { label: 'pub/s', value: (r) => k(r.publishedPerSec) },
  { label: 'deliveries/s', value: (r) => k(r.deliveriesPerSec) },
  {
    label: 'delivered',
    value: (r) =>
      r.deliveredRatio === undefined || r.deliveredRatio === null
        ? '–'
        : `${(r.deliveredRatio * 100).toFixed(2)}%`,
  },
  { label: 'server cpu%', value: (r) => (r.serverCpuPct ?? []).join('+') },
  { label: 'rss MiB', value: (r) => (r.serverRssMiB ?? []).join('+') },
  { label: 'p99 ms', value: (r) => r.latency?.p99Ms ?? '–' },
  {
    label: 'gaps/reorders',
    value: (r) =>
      r.error
        ? r.error.slice(0, 40)
        : `${r.gaps}/${r.reorders}${r.decodeErrors ? ` dec!${r.decodeErrors}` : ''}`,
  },
];
const printFanout = (rows) => {
  endProgress();
  process.stdout.write(`${table(rows, fanoutColumns)}\n\n`);
};

const helpers = () => ({ cfg, withPeer, Clients, sleep, progress, endProgress, procStat, table, k, save });
const connections = async () => (await import('./lib/connections.mjs')).connectionsScenario(helpers());
const storm = async () =>
  (await import('./lib/storm.mjs')).stormScenario({
    ...helpers(),
    cfg: { ...cfg, clientProcs: opts['client-procs'] },
    startPeer,
    stopPeer,
    spawnProc,
    waitFor,
    stopProc,
    jwtSecret: JWT_SECRET,
  });

async function latency() {
  const results = [];
  for (const peer of cfg.peers) {
    const rows = await withPeer(peer, async (p, keep) => {
      const clients = keep(await Clients.start(p, cfg.subscribers));
      const conn = await clients.connect(peer);
      let max = cfg.maxRate;
      const out = [];
      if (!max) {
        const r = await publishStep(p, clients, conn.ready, 'max', `${peer} max`);
        max = r.publishedPerSec;
        out.push({ peer, nodes: p.nodes, subscribers: conn.ready, percent: 100, isMax: true, ...r });
      }
      for (const pct of cfg.percents) {
        const rate = Math.max(1, Math.round((max * pct) / 100));
        // Tails on 2 shared cores scatter from run to run (p99 ±50 % at the same rate): one run per rate
        // says little, so each is measured `repeat` times and summarised by the median.
        const runs = [];
        for (let i = 1; i <= cfg.repeat; i++) {
          const tag = cfg.repeat > 1 ? ` run ${i}/${cfg.repeat}` : '';
          runs.push(await publishStep(p, clients, conn.ready, rate, `${peer} ${pct}% (${rate}/s)${tag}`));
        }
        out.push({
          peer,
          nodes: p.nodes,
          subscribers: conn.ready,
          percent: pct,
          maxRate: max,
          note: p.note,
          ...summariseRuns(runs),
        });
      }
      return out;
    });
    results.push(...rows);
  }
  const cols = [
    { label: 'peer', value: (r) => r.peer },
    { label: 'nodes', value: (r) => r.nodes ?? '' },
    { label: '% of max', value: (r) => (r.error ? 'ERROR' : r.percent) },
    { label: 'pub/s', value: (r) => k(r.publishedPerSec) },
    { label: 'deliveries/s', value: (r) => k(r.deliveriesPerSec) },
    { label: 'samples', value: (r) => r.latency?.count ?? '' },
    { label: 'p50 ms', value: (r) => r.latency?.p50Ms ?? '–' },
    { label: 'p99 ms', value: (r) => r.latency?.p99Ms ?? '–' },
    { label: 'p99 min–max', value: (r) => (r.p99Range ? `${r.p99Range[0]}–${r.p99Range[1]}` : '') },
    { label: 'p999 ms', value: (r) => r.latency?.p999Ms ?? '–' },
    { label: 'max ms', value: (r) => r.latency?.maxMs ?? (r.error ?? '').slice(0, 40) },
  ];
  process.stdout.write(`\n${table(results, cols)}\n`);
  const ok = results.filter((r) => !r.error && !r.isMax);
  save(results, {
    title: `latency: p99 publish→deliver (ms), ${cfg.subscribers} subscribers`,
    unit: 'p99 ms',
    series: cfg.percents.map((p) => `${p}% of max`),
    groups: cfg.peers.map((peer) => ({
      label: peer,
      values: cfg.percents.map(
        (pct) => ok.find((r) => r.peer === peer && r.percent === pct)?.latency?.p99Ms ?? null,
      ),
    })),
  });
}

/**
 * One row from the repeated runs of a rate: rates and counts summed or averaged, each latency percentile
 * the median over the runs (`runs` keeps every run's own), `p99Range` the lowest and highest p99.
 */
function summariseRuns(runs) {
  const failed = runs.find((r) => r.error);
  if (failed || runs.length === 1) return { ...(failed ?? runs[0]), runs: runs.map((r) => r.latency) };
  const median = (values) => {
    const v = [...values].sort((a, b) => a - b);
    const m = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    return Math.round(m * 1000) / 1000;
  };
  const sum = (key) => runs.reduce((s, r) => s + r[key], 0);
  const mean = (key) => Math.round(sum(key) / runs.length);
  const lat = runs.map((r) => r.latency);
  const p99s = lat.map((l) => l.p99Ms);
  return {
    ...runs[0],
    seconds: sum('seconds'),
    published: sum('published'),
    publishedPerSec: mean('publishedPerSec'),
    deliveriesPerSec: mean('deliveriesPerSec'),
    delivered: sum('delivered'),
    expected: sum('expected'),
    deliveredRatio: Math.round((sum('delivered') / Math.max(1, sum('expected'))) * 10000) / 10000,
    serverCpuPct: runs[0].serverCpuPct.map((_, i) => Math.round(median(runs.map((r) => r.serverCpuPct[i])))),
    gaps: sum('gaps'),
    reorders: sum('reorders'),
    decodeErrors: sum('decodeErrors'),
    latency: {
      count: lat.reduce((s, l) => s + l.count, 0),
      meanMs: median(lat.map((l) => l.meanMs)),
      p50Ms: median(lat.map((l) => l.p50Ms)),
      p99Ms: median(p99s),
      p999Ms: median(lat.map((l) => l.p999Ms)),
      maxMs: Math.max(...lat.map((l) => l.maxMs)),
    },
    p99Range: [Math.min(...p99s), Math.max(...p99s)],
    runs: lat,
  };
}

async function roundtrip() {
  const results = [];
  for (const peer of cfg.peers) {
    const rows = await withPeer(
      peer,
      async (p, keep) => {
        const clients = keep(await Clients.start(p, cfg.subscribers + cfg.senders, { senders: cfg.senders }));
        const conn = await clients.connect(peer);
        await clients.reset();
        const waits = clients.procs.map((c) => waitFor(c, 'sending'));
        for (const c of clients.procs)
          c.send({ type: 'send', ratePerSecond: c === clients.procs[0] ? cfg.rate : 0 });
        await Promise.all(waits);
        const t0 = performance.now();
        const total = cfg.warmup + cfg.duration;
        let mark;
        while (true) {
          await sleep(200);
          const el = (performance.now() - t0) / 1000;
          if (!mark && el >= cfg.warmup)
            mark = { t: performance.now(), frames: clients.sum('frames'), sent: clients.sum('sent') };
          progress(
            `${peer} roundtrip ${el.toFixed(1)}/${total}s sent ${clients.sum('sent')} replies ${clients.sum('replies')} deliveries ${k(clients.sum('frames'))}`,
          );
          if (el >= total) break;
        }
        const t1 = performance.now();
        const f1 = clients.sum('frames');
        const s1 = clients.sum('sent');
        await clients.all('stop-sending', 'stopped-sending');
        await sleep(1000);
        const final = await clients.collect();
        endProgress();
        const dt = (t1 - mark.t) / 1000;
        return [
          {
            peer,
            nodes: p.nodes,
            subscribers: cfg.subscribers,
            senders: cfg.senders,
            ready: conn.ready,
            sendsPerSec: Math.round((s1 - mark.sent) / dt),
            deliveriesPerSec: Math.round((f1 - mark.frames) / dt),
            sent: final.sent,
            replies: final.replies,
            delivered: final.frames,
            // Senders are not subscribed on Switchboard (the sender gets its message in the reply, `except`).
            // ws and Socket.IO senders are room members too and get the other senders' messages.
            expected:
              final.sent *
              (p.protocol === 'switchboard' ? cfg.subscribers : cfg.subscribers + cfg.senders - 1),
            reply: final.replyLatency.summary(),
            fanout: final.latency.summary(),
            note: p.note,
            errorSample: final.errorSample,
          },
        ];
      },
      { services: true },
    );
    results.push(...rows);
  }
  const cols = [
    { label: 'peer', value: (r) => r.peer },
    { label: 'nodes', value: (r) => r.nodes ?? '' },
    { label: 'sends/s', value: (r) => (r.error ? `ERROR ${r.error.slice(0, 50)}` : k(r.sendsPerSec)) },
    { label: 'deliveries/s', value: (r) => k(r.deliveriesPerSec) },
    { label: 'replies', value: (r) => (r.error ? '' : `${r.replies}/${r.sent}`) },
    { label: 'delivered', value: (r) => (r.error ? '' : `${r.delivered}/${r.expected}`) },
    {
      label: 'reply p50/p99 ms',
      value: (r) => (r.reply ? `${r.reply.p50Ms ?? '–'}/${r.reply.p99Ms ?? '–'}` : ''),
    },
    {
      label: 'fan-out p50/p99/p999 ms',
      value: (r) =>
        r.fanout ? `${r.fanout.p50Ms ?? '–'}/${r.fanout.p99Ms ?? '–'}/${r.fanout.p999Ms ?? '–'}` : '',
    },
  ];
  process.stdout.write(`\n${table(results, cols)}\n`);
  const ok = results.filter((r) => !r.error);
  save(results, {
    title: `roundtrip: send → service → room fan-out (${cfg.subscribers} members, ${cfg.rate} sends/s)`,
    unit: 'ms',
    series: ['reply p99', 'fan-out p50', 'fan-out p99'],
    groups: ok.map((r) => ({ label: r.peer, values: [r.reply.p99Ms, r.fanout.p50Ms, r.fanout.p99Ms] })),
  });
}

try {
  process.stderr.write(
    `bench ${scenario}: peers ${cfg.peers.join(', ')}; ${cfg.nodes} node(s); mode ${cfg.mode}\n`,
  );
  await { fanout, connections, latency, roundtrip, storm }[scenario]();
} finally {
  await shutdown();
}
process.exit(0);
