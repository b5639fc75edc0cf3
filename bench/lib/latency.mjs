/**
 * The `latency` scenario: publish → deliver latency at `--percents` of each peer's max rate (the max is
 * measured first with a `max` step unless `--max-rate` gives it). Tails on 2 shared cores scatter from
 * run to run, so every rate is measured `--repeat` times and reported as the median (summariseRuns).
 */
import { k, table } from './terminal.mjs';

/** `ctx`: the runner's helpers (cfg, withPeer, startClients, publishStep, save). */
export async function latencyScenario(ctx) {
  const { cfg, withPeer, startClients, publishStep, save } = ctx;
  const results = [];
  for (const peer of cfg.peers) {
    const rows = await withPeer(peer, async (p, keep) => {
      const clients = keep(await startClients(p, cfg.subscribers));
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
