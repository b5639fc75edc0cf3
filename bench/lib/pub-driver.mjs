/**
 * The publishing loop every peer's publisher uses, driven over IPC by bench/lib/publish-step.mjs:
 *   {type:'run', rate:'max'|number}   start (max: as fast as credit, in-flight and canSend allow)
 *   {type:'credit', allow}            total messages the publisher may have sent so far (flow control:
 *                                     the runner grants delivered-per-subscriber + a window, so "max"
 *                                     is the highest rate the peer sustains, not an unbounded backlog)
 *   {type:'stop'}                     stop; answers {type:'stopped', published}
 * `publishOne(seq)` returns nothing or a promise (then at most `maxInFlight` are outstanding).
 */
import { nowMs } from './payload.mjs';

export function drivePublisher(publishOne, { maxInFlight = 2000, canSend = () => true, onIdle } = {}) {
  let seq = 1;
  let published = 0;
  let failed = 0;
  let inFlight = 0;
  let credit = Number.POSITIVE_INFINITY;
  let running = false;
  let mode = 'max';
  let rate = 0;
  let due = 0;
  let last = 0;
  let timer;
  let scheduled = false;

  const one = () => {
    const r = publishOne(seq++);
    published++;
    if (r && typeof r.then === 'function') {
      inFlight++;
      r.then(
        () => {
          inFlight--;
          if (mode === 'max') kick();
        },
        () => {
          inFlight--;
          failed++;
        },
      );
    }
  };

  const maxLoop = () => {
    scheduled = false;
    if (!running) return;
    let n = 0;
    while (published < credit && inFlight < maxInFlight && n < 500 && canSend()) {
      one();
      n++;
    }
    if (published < credit && inFlight < maxInFlight && canSend()) kick();
    else if (!timer)
      timer = setTimeout(() => {
        timer = undefined;
        kick();
      }, 1);
  };
  const kick = () => {
    if (scheduled || !running || mode !== 'max') return;
    scheduled = true;
    setImmediate(maxLoop);
  };

  const rateLoop = () => {
    if (!running) return;
    const now = nowMs();
    due += ((now - last) * rate) / 1000;
    last = now;
    while (due >= 1 && inFlight < maxInFlight) {
      due--;
      one();
    }
    if (due > rate) due = rate; // do not bank more than a second of backlog
  };

  process.on('message', (m) => {
    if (m.type === 'run') {
      running = true;
      credit = m.rate === 'max' ? (m.allow ?? 0) : Number.POSITIVE_INFINITY;
      mode = m.rate === 'max' ? 'max' : 'rate';
      if (mode === 'rate') {
        rate = m.rate;
        due = 0;
        last = nowMs();
        timer = setInterval(rateLoop, 2);
      } else kick();
      process.send({ type: 'running' });
    } else if (m.type === 'credit') {
      credit = m.allow;
      kick();
    } else if (m.type === 'stop') {
      running = false;
      clearInterval(timer);
      clearTimeout(timer);
      timer = undefined;
      onIdle?.();
      process.send({ type: 'stopped', published, failed });
    } else if (m.type === 'count') process.send({ type: 'count', published, failed });
  });
  setInterval(() => process.send?.({ type: 'published', published, failed }), 100).unref();
  return { kick };
}

export function args(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=');
    if (v !== undefined) out[k] = v;
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = 'true';
  }
  return out;
}
