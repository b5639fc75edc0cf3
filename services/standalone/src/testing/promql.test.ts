import { describe, expect, it } from 'vitest';
import { declaredFamilies, metricNamesIn, missing } from './promql.js';

describe('metricNamesIn', () => {
  it('finds the metrics and skips functions, matchers, ranges, label lists, variables and numbers', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, node) (rate(switchboard_edge_deliver_latency_seconds_bucket{node=~"$node"}[$__rate_interval]))) > 2.5e-1',
      ),
    ).toEqual(['switchboard_edge_deliver_latency_seconds_bucket']);
    expect(
      metricNamesIn(
        'sum(rate(a_total{outcome="dead_lettered"}[5m] offset 1h)) / ignoring(x) group_left b_total > bool 0 and up == 0',
      ),
    ).toEqual(['a_total', 'b_total', 'up']);
    expect(metricNamesIn('max without (instance) (nodejs_eventloop_lag_p99_seconds) > 0.1')).toEqual([
      'nodejs_eventloop_lag_p99_seconds',
    ]);
  });
});

describe('missing', () => {
  const families = declaredFamilies(
    '# TYPE lat_seconds histogram\n# TYPE req_total counter\n# TYPE q summary\n# TYPE g gauge\n',
  );
  it('accepts families, histogram series, summary sums and Prometheus own `up`', () => {
    for (const name of ['lat_seconds', 'lat_seconds_bucket', 'lat_seconds_sum', 'req_total', 'q_count', 'up'])
      expect(missing(name, families), name).toBeUndefined();
  });
  it('names a metric nobody exports, and a _bucket of what is not a histogram', () => {
    expect(missing('switchboard_edge_nope_total', families)).toMatch(/no process exports it/);
    expect(missing('g_bucket', families)).toMatch(/g is a gauge, not a histogram/);
    expect(missing('q_bucket', families)).toMatch(/q is a summary/);
  });
});
