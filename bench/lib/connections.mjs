/**
 * The `connections` scenario: open `--connections` sockets (each subscribes where the peer has channels),
 * hold them, and report connects/s, server RSS per connection and CPU-µs per connect per process — the
 * server (edge), the broker (RabbitMQ's beam.smp for Switchboard on RabbitMQ, redis-server for Socket.IO
 * with its redis adapter) and the load generator's clients — over the connect window.
 *
 * Switchboard peers run twice with `--jwt both` (default): anonymous, and with every client presenting
 * an HS256 token signed with the edge's secret (a user per connection: user route + verification).
 */
import { CpuMeter, hostProcessPid } from './proc-cpu.mjs';

const BROKER_OF = {
  'switchboard-amqp': ['beam.smp', 5672],
  'switchboard-redis': ['redis-server', 6379],
  socketio: ['redis-server', 6379],
};

/** `ctx`: the runner's helpers (cfg, withPeer, startClients, sleep, progress, endProgress, procStat, table, k, save). */
export async function connectionsScenario(ctx) {
  const { cfg, withPeer, startClients, sleep, progress, endProgress, procStat, table, k, save } = ctx;
  const jwtModes = cfg.jwt === 'both' ? [false, true] : [cfg.jwt === 'on'];
  const results = [];
  for (let round = 1; round <= cfg.rounds; round++)
    for (const peer of cfg.peers) {
      const modes = peer.startsWith('switchboard') ? jwtModes : [false];
      for (const jwt of modes) {
        const rows = await withPeer(peer, async (p, keep) => {
          await sleep(1000);
          const before = p.servers.map((s) => procStat(s.pid).rss);
          const clients = keep(await startClients(p, cfg.connections, { jwt }));
          const brokerComm = BROKER_OF[peer];
          const meter = new CpuMeter({
            server: p.servers.map((s) => s.pid),
            broker: brokerComm ? [hostProcessPid(...brokerComm)] : [],
            clients: clients.procs.map((c) => c.pid),
          });
          meter.start();
          const conn = await clients.connect(`${peer}${jwt ? ' jwt' : ''}`);
          const cpu = meter.stop(conn.ready);
          const t0 = performance.now();
          while (performance.now() - t0 < cfg.hold * 1000) {
            await sleep(250);
            progress(`${peer} holding ${conn.ready} connections`);
          }
          const snap = await clients.collect();
          const after = p.servers.map((s) => procStat(s.pid).rss);
          endProgress();
          const delta = after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0);
          return [
            {
              peer,
              jwt,
              round,
              nodes: p.nodes,
              connections: conn.ready,
              failed: conn.failed,
              stillOpen: conn.ready - (snap.closed ?? 0),
              connectSeconds: Math.round(conn.took * 100) / 100,
              connectPerSec: Math.round(conn.ready / conn.took),
              connectLatency: snap.connectLatency.summary(),
              cpu,
              broker: brokerComm?.[0] ?? null,
              rssBeforeMiB: before.map((b) => Math.round(b / 2 ** 20)),
              rssAfterMiB: after.map((b) => Math.round(b / 2 ** 20)),
              rssPerConnKiB: conn.ready ? Math.round((delta / conn.ready / 1024) * 10) / 10 : null,
              note: p.note,
              errorSample: snap.errorSample,
            },
          ];
        });
        results.push(...rows);
      }
    }
  const us = (r, role) => r.cpu?.[role]?.usPerConnect ?? '–';
  const cols = [
    { label: 'peer', value: (r) => r.peer + (r.jwt ? ' (jwt)' : '') },
    { label: 'nodes', value: (r) => r.nodes ?? '' },
    { label: 'connections', value: (r) => (r.error ? `ERROR ${r.error.slice(0, 50)}` : r.connections) },
    { label: 'failed', value: (r) => r.failed ?? '' },
    { label: 'still open', value: (r) => r.stillOpen ?? '' },
    { label: 'connect/s', value: (r) => k(r.connectPerSec) },
    {
      label: 'connect p50/p99 ms',
      value: (r) => (r.connectLatency ? `${r.connectLatency.p50Ms}/${r.connectLatency.p99Ms}` : ''),
    },
    { label: 'server µs/conn', value: (r) => us(r, 'server') },
    { label: 'broker µs/conn', value: (r) => (r.broker ? `${us(r, 'broker')} (${r.broker})` : '–') },
    { label: 'clients µs/conn', value: (r) => us(r, 'clients') },
    {
      label: 'rss MiB before→after',
      value: (r) => (r.rssBeforeMiB ? `${r.rssBeforeMiB.join('+')}→${r.rssAfterMiB.join('+')}` : ''),
    },
    { label: 'KiB/conn', value: (r) => r.rssPerConnKiB ?? '–' },
  ];
  process.stdout.write(`\n${table(results, cols)}\n`);
  const summary = summarise(results.filter((r) => !r.error));
  if (cfg.rounds > 1) {
    const range = (m) => `${m.median} (${m.min}–${m.max})`;
    const sumCols = [
      { label: 'peer', value: (r) => r.label },
      { label: 'rounds', value: (r) => r.rounds },
      { label: 'connect/s median (min–max)', value: (r) => range(r.connectPerSec) },
      { label: 'server µs/conn', value: (r) => range(r.server) },
      { label: 'broker µs/conn', value: (r) => (r.broker.median === null ? '–' : range(r.broker)) },
      { label: 'clients µs/conn', value: (r) => range(r.clients) },
    ];
    process.stdout.write(`\nmedians over ${cfg.rounds} rounds\n${table(summary, sumCols)}\n`);
  }
  save(
    { rows: results, summary },
    {
      title: `connections: connects/s, median of ${cfg.rounds} round(s) (${cfg.connections} connections, ${cfg.nodes} node(s))`,
      unit: 'connects/s',
      series: ['connects/s'],
      groups: summary.map((r) => ({ label: r.label, values: [r.connectPerSec.median] })),
    },
  );
}

/** Per peer (and JWT mode): median, min and max over the rounds of connect/s and each role's µs/connect. */
function summarise(rows) {
  const stats = (values) => {
    const v = values.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
    if (v.length === 0) return { median: null, min: null, max: null };
    return { median: v[Math.floor((v.length - 1) / 2)], min: v[0], max: v[v.length - 1] };
  };
  const labels = [...new Set(rows.map((r) => r.peer + (r.jwt ? ' (jwt)' : '')))];
  return labels.map((label) => {
    const mine = rows.filter((r) => r.peer + (r.jwt ? ' (jwt)' : '') === label);
    return {
      label,
      rounds: mine.length,
      connectPerSec: stats(mine.map((r) => r.connectPerSec)),
      server: stats(mine.map((r) => r.cpu?.server?.usPerConnect)),
      broker: stats(mine.map((r) => (r.broker ? r.cpu?.broker?.usPerConnect : null))),
      clients: stats(mine.map((r) => r.cpu?.clients?.usPerConnect)),
    };
  });
}
