/**
 * The `fanout` scenario: one channel, `--subscribers` receivers, the publisher at each of `--rates`
 * (`max`: credit-limited, or messages/s). A table per peer as soon as it is done (a long run shows
 * results early), then all rows in one table, the JSON and a chart of deliveries/s.
 */
import { endProgress, k, table } from './terminal.mjs';

/** `ctx`: the runner's helpers (cfg, withPeer, startClients, publishStep, save). */
export async function fanoutScenario(ctx) {
  const { cfg, withPeer, startClients, publishStep, save } = ctx;
  const results = [];
  for (const peer of cfg.peers) {
    const rows = await withPeer(peer, async (p, keep) => {
      const clients = keep(await startClients(p, cfg.subscribers));
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
    endProgress();
    process.stdout.write(`${table(rows, fanoutColumns)}\n\n`);
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
