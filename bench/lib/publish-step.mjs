/**
 * One measured publishing step, shared by the fanout and latency scenarios: the peer's publisher runs at
 * a fixed rate or at "max" (credit-limited, see below) for warm-up + duration seconds while the receivers
 * count; the row reports what the receivers got in the measured window, server CPU and RSS, and the
 * latency histogram once the backlog has drained.
 */
import { procStat } from './proc-cpu.mjs';
import { sleep, waitFor } from './processes.mjs';
import { endProgress, k, progress } from './terminal.mjs';

/** `cfg`: the run's options (warm-up, duration, max-rate window). */
export function publishStepper(cfg) {
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

  /** Runs the publisher at `rate` for warmup + duration; measures deliveries at the receivers. */
  return async function publishStep(peer, clients, subscribers, rate, label) {
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
        ? setInterval(() => {
            // Ctrl-C stops the publisher process before this loop ends: sending then would throw
            // ERR_IPC_CHANNEL_CLOSED and turn a clean interrupt (exit 130) into a crash.
            if (!pub.connected) return;
            pub.send({
              type: 'credit',
              allow: base + Math.floor(clients.sum('frames') / subscribers) + window,
            });
          }, 10)
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
      if (!mark && el >= cfg.warmup)
        mark = { t, frames: f, published, cpu: pids.map((p) => procStat(p).cpu) };
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
  };
}
