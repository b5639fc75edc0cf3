import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../../test/support/wait.js';
import { collectProcessMetrics, processMetricNames } from './process-metrics.js';

/** Names of the metric families a registry renders (its `# TYPE` lines). */
async function families(registry: Registry): Promise<Map<string, string>> {
  const text = await registry.metrics();
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('collectProcessMetrics', () => {
  it("adds Node's default metrics: event-loop lag and its percentiles, heap, GC, handles, CPU", async () => {
    const registry = collectProcessMetrics(new Registry());
    const names = await families(registry);
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
      'nodejs_active_handles_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ])
      expect(names.has(name), name).toBe(true);
    expect(names.get('nodejs_gc_duration_seconds')).toBe('histogram');
  });

  it('is idempotent and leaves the registry’s own metrics alone', async () => {
    const registry = new Registry();
    new Counter({ name: 'own_total', help: 'own', registers: [registry] });
    collectProcessMetrics(registry);
    expect(() => collectProcessMetrics(registry)).not.toThrow();
    const text = await registry.metrics();
    expect(text.match(/^# TYPE nodejs_eventloop_lag_seconds /gm)).toHaveLength(1);
    expect(text).toMatch(/^own_total 0$/m);
  });

  it('shares one set of samplers: each registry renders it with its own default labels', async () => {
    const a = new Registry();
    a.setDefaultLabels({ node: 'edge-a' });
    const b = new Registry();
    b.setDefaultLabels({ node: 'edge-b' });
    collectProcessMetrics(a);
    collectProcessMetrics(b);
    // The very same metric objects, not a second event-loop timer and GC observer per registry.
    for (const name of processMetricNames())
      expect(a.getSingleMetric(name), name).toBe(b.getSingleMetric(name));
    expect(await a.metrics()).toMatch(/^nodejs_heap_size_used_bytes\{node="edge-a"\} \d+/m);
    expect(await b.metrics()).toMatch(/^nodejs_heap_size_used_bytes\{node="edge-b"\} \d+/m);
  });

  it('reports a blocked event loop in the lag percentiles', async () => {
    const registry = collectProcessMetrics(new Registry());
    // Reading the metrics resets the delay histogram: start from an empty window.
    await registry.metrics();
    // The sampler is a timer: let the loop turn, block it for 120 ms, let it turn again.
    await sleep(30);
    const until = performance.now() + 120;
    while (performance.now() < until) {
      // busy: the loop cannot turn
    }
    await sleep(30);
    const text = await registry.metrics();
    // A lower bound only: a slower machine makes the delay longer, never shorter.
    expect(Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(0.1);
  });
});
