/** Log-bucketed latency histogram (≈1% relative precision, 1 µs floor), mergeable across processes. */
const BASE = Math.log(1.01);
const FLOOR_MS = 0.001;

export class Histogram {
  constructor() {
    this.buckets = new Map();
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  record(ms) {
    const v = Math.max(ms, FLOOR_MS);
    const b = Math.floor(Math.log(v / FLOOR_MS) / BASE);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(json) {
    for (const [b, n] of json.buckets) this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    this.count += json.count;
    this.sum += json.sum;
    this.max = Math.max(this.max, json.max);
    return this;
  }

  percentile(p) {
    if (this.count === 0) return undefined;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b);
      if (seen >= rank) return Math.min(this.max, FLOOR_MS * Math.exp((b + 1) * BASE));
    }
    return this.max;
  }

  summary() {
    const r = (v) => (v === undefined ? null : Math.round(v * 1000) / 1000);
    return {
      count: this.count,
      meanMs: r(this.count ? this.sum / this.count : undefined),
      p50Ms: r(this.percentile(50)),
      p99Ms: r(this.percentile(99)),
      p999Ms: r(this.percentile(99.9)),
      maxMs: r(this.count ? this.max : undefined),
    };
  }

  toJSON() {
    return { buckets: [...this.buckets], count: this.count, sum: this.sum, max: this.max };
  }
}
