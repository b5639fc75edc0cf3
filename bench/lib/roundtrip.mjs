/**
 * The `roundtrip` scenario: `--senders` signed-in clients send at `--rate` in total to a room of
 * `--subscribers`; Switchboard routes each send through its chat (and history) service, which replies to
 * the sender and fans the message out to the room; ws and Socket.IO relay it themselves (no service).
 * Measured: reply latency at the sender and fan-out latency at the room members.
 */
import { sleep, waitFor } from './processes.mjs';
import { endProgress, k, progress, table } from './terminal.mjs';

/** `ctx`: the runner's helpers (cfg, withPeer, startClients, save). */
export async function roundtripScenario(ctx) {
  const { cfg, withPeer, startClients, save } = ctx;
  const results = [];
  for (const peer of cfg.peers) {
    const rows = await withPeer(
      peer,
      async (p, keep) => {
        const clients = keep(await startClients(p, cfg.subscribers + cfg.senders, { senders: cfg.senders }));
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
