/**
 * The `storm` scenario: `--connections` clients connected (and subscribed) to one server process, each
 * reconnecting like the SDK (storm-proc.mjs: full-jitter backoff 0.5–20 s, 10 s handshake timeout). The
 * server is killed with SIGKILL and started again at once on the same port (Switchboard: a new node id,
 * as a replaced pod would have). Measured: the restart (kill → ready), the time from the new server's
 * readiness to every client ready again, the handshake timeouts and refused attempts, the widest gap
 * between sockets open and clients ready (answers lagging behind accepts), and CPU-µs per reconnect per
 * process (server, broker, clients) over the recovery.
 */
import { join } from 'node:path';
import { CpuMeter, hostProcessPid } from './proc-cpu.mjs';

const STORM_PEERS = ['ws-batched', 'ws-naive', 'socketio', 'switchboard-amqp', 'switchboard-redis'];
const BROKER_OF = {
  'switchboard-amqp': ['beam.smp', 5672],
  'switchboard-redis': ['redis-server', 6379],
  socketio: ['redis-server', 6379],
};

/** `ctx`: the runner's helpers (cfg, clientProcs, startPeer, stopPeer, spawnProc, waitFor, stopProc, sleep, progress, endProgress, table, save, scenario, jwtSecret). */
export async function stormScenario(ctx) {
  const { cfg, table, save } = ctx;
  const results = [];
  for (const peer of cfg.peers) {
    if (!STORM_PEERS.includes(peer)) {
      results.push({ peer, error: `storm runs on ${STORM_PEERS.join(', ')}` });
      continue;
    }
    for (let run = 0; run < cfg.repeat; run++) results.push(await stormOnce(ctx, peer, run));
  }
  const cols = [
    { label: 'peer', value: (r) => r.peer + (r.jwt ? ' (jwt)' : '') },
    { label: 'clients', value: (r) => (r.error ? `ERROR ${r.error.slice(0, 60)}` : r.clients) },
    { label: 'restart s', value: (r) => r.restartSeconds ?? '' },
    {
      label: 'load/bus/start ms',
      value: (r) =>
        r.restartPhasesMs
          ? `${r.restartPhasesMs.loadMs}/${r.restartPhasesMs.busMs}/${r.restartPhasesMs.startMs}`
          : '–',
    },
    { label: 'all ready after s', value: (r) => r.allReadySeconds ?? '' },
    { label: 'kill → all ready s', value: (r) => r.killToAllReadySeconds ?? '' },
    {
      label: 'p50/p99 ready s',
      value: (r) => (r.readyP50Seconds === undefined ? '' : `${r.readyP50Seconds}/${r.readyP99Seconds}`),
    },
    { label: 'handshake timeouts', value: (r) => r.handshakeTimeouts ?? '' },
    { label: 'refused', value: (r) => r.refused ?? '' },
    { label: 'max open-not-ready', value: (r) => r.maxOpenNotReady ?? '' },
    { label: 'server µs/re', value: (r) => r.cpu?.server?.usPerConnect ?? '–' },
    { label: 'broker µs/re', value: (r) => r.cpu?.broker?.usPerConnect ?? '–' },
    { label: 'clients µs/re', value: (r) => r.cpu?.clients?.usPerConnect ?? '–' },
  ];
  process.stdout.write(`\n${table(results, cols)}\n`);
  const ok = results.filter((r) => !r.error);
  save(results, {
    title: `storm: seconds from the new server ready to all ${cfg.connections} clients ready again`,
    unit: 's',
    series: ['all ready after'],
    groups: ok.map((r, i) => ({ label: `${r.peer} #${i + 1}`, values: [r.allReadySeconds] })),
  });
}

async function stormOnce(ctx, peer, run) {
  const { cfg, startPeer, stopPeer, spawnProc, waitFor, stopProc, sleep, progress, endProgress } = ctx;
  const jwt = peer.startsWith('switchboard') && cfg.jwt !== 'off';
  let p;
  const procs = [];
  let server;
  try {
    p = await startPeer(peer);
    server = p.servers[0];
    const port = server.port;
    const nProcs = Math.max(1, Number(ctx.clientProcs ?? Math.ceil(cfg.connections / cfg.perProc)));
    const per = Math.ceil(cfg.connections / nProcs);
    const localAddresses = Array.from({ length: cfg.sources }, (_, i) => `127.0.0.${i + 2}`);
    for (let i = 0; i < nProcs; i++) {
      const count = Math.min(per, cfg.connections - i * per);
      if (count <= 0) break;
      const c = spawnProc(`storm-${peer}-clients${i}-r${run}`, 'lib/storm-proc.mjs');
      c.snapshot = { open: 0, ready: 0, attempts: 0, timeouts: 0, refused: 0 };
      c.on('message', (m) => {
        if (m.type === 'progress') c.snapshot = m;
      });
      c.send({
        type: 'init',
        config: {
          peer: p.protocol,
          target: { host: '127.0.0.1', port },
          start: i * per,
          count,
          localAddresses,
          channel: p.channel ?? 'bench',
          concurrency: cfg.concurrency,
          minDelayMs: 500,
          maxDelayMs: 20_000,
          handshakeTimeoutMs: 10_000,
          jwtSecret: jwt ? ctx.jwtSecret : undefined,
        },
      });
      await waitFor(c, 'inited');
      procs.push(c);
    }
    const sum = (key) => procs.reduce((a, c) => a + (c.snapshot[key] ?? 0), 0);
    const connected = procs.map((c) => waitFor(c, 'connected', 600_000));
    for (const c of procs) c.send({ type: 'connect' });
    const ticker = setInterval(() => progress(`${peer} storm: ${sum('ready')} ready`), 250);
    await Promise.all(connected);
    clearInterval(ticker);
    await sleep(1000);
    const before = { timeouts: sum('timeouts'), refused: sum('refused') };

    // Kill, and start again at once on the same port.
    const spec = server.spec;
    const killedAt = performance.now();
    server.stopping = true;
    server.kill('SIGKILL');
    await new Promise((r) => (server.exitCode !== null || server.signalCode ? r() : server.once('exit', r)));
    const argv = [...spec.argv, '--port', String(port)];
    if (p.protocol === 'switchboard') argv.push('--node-id', `bench-${process.pid}-storm${run}`);
    const restarted = spawnProc(`${spec.name}-restart${run}`, spec.file, argv, { ts: spec.ts });
    const brokerComm = BROKER_OF[peer];
    const meter = new CpuMeter({
      server: () => [restarted.pid],
      broker: brokerComm ? [hostProcessPid(...brokerComm)] : [],
      clients: procs.map((c) => c.pid),
    });
    meter.start();
    const readyMessage = await waitFor(restarted, 'ready', 120_000);
    const readyAt = performance.now();
    p.servers[0] = restarted;

    // Until every client is ready again (or 120 s): sample every 50 ms (the clients report at that pace).
    const readyTimes = [];
    let lastReady = sum('ready');
    let maxOpenNotReady = 0;
    const deadline = readyAt + 120_000;
    while (performance.now() < deadline) {
      const ready = sum('ready');
      const now = performance.now();
      for (let i = lastReady; i < ready; i++) readyTimes.push((now - readyAt) / 1000);
      lastReady = Math.max(lastReady, ready);
      maxOpenNotReady = Math.max(maxOpenNotReady, sum('open') - ready);
      if (ready >= cfg.connections) break;
      progress(`${peer} storm #${run + 1}: ${ready}/${cfg.connections} ready again, ${sum('open')} open`);
      await sleep(50);
    }
    const doneAt = performance.now();
    const recovered = sum('ready');
    const cpu = meter.stop(recovered);
    endProgress();
    const q = (f) =>
      readyTimes.length
        ? readyTimes[Math.min(readyTimes.length - 1, Math.floor(f * readyTimes.length))]
        : null;
    const round = (s) => (s === null ? null : Math.round(s * 100) / 100);
    return {
      peer,
      run: run + 1,
      jwt,
      clients: cfg.connections,
      recovered,
      restartSeconds: round((readyAt - killedAt) / 1000),
      // Switchboard's edge reports where its start-up went: module loading, bus connection, edge start.
      restartPhasesMs: readyMessage.phases ?? null,
      killToAllReadySeconds: recovered >= cfg.connections ? round((doneAt - killedAt) / 1000) : null,
      allReadySeconds: recovered >= cfg.connections ? round((doneAt - readyAt) / 1000) : null,
      readyP50Seconds: round(q(0.5)),
      readyP99Seconds: round(q(0.99)),
      handshakeTimeouts: sum('timeouts') - before.timeouts,
      refused: sum('refused') - before.refused,
      maxOpenNotReady,
      cpu,
      broker: brokerComm?.[0] ?? null,
      log: join('logs', `${spec.name}-restart${run}.log`),
    };
  } catch (error) {
    endProgress();
    process.stderr.write(`\n${peer}: ${error.message}\n`);
    return { peer, run: run + 1, error: error.message };
  } finally {
    for (const c of procs) c.send?.({ type: 'close' });
    await Promise.all(procs.map(stopProc));
    await stopPeer(p);
  }
}
