/**
 * Node's default Prometheus metrics for any registry of ours: prom-client's `collectDefaultMetrics`
 * (`nodejs_eventloop_lag_seconds` and the lag percentiles, heap and heap spaces, GC durations, active
 * handles, open file descriptors, CPU, resident memory, the Node version).
 *
 * The samplers are created once per process and their metric objects registered into every registry that
 * asks. Calling `collectDefaultMetrics` per registry instead would start one event-loop-delay timer and one
 * GC observer per call that nothing ever stops: one per edge node, service and API object, which a test
 * suite builds by the hundred. A registry's own default labels (the edge's `node`) still apply when it
 * renders the shared objects, so several edges in one process keep their series apart.
 *
 * The lag percentiles (`nodejs_eventloop_lag_p99_seconds`, …) cover the time since the previous scrape of
 * any registry in the process (prom-client resets the delay histogram when it reads it). Each deployed
 * process serves one registry, so that is "since the last scrape".
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/** The process-wide registry holding the one set of default metrics; created on first use. */
function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}

/** Names of the default metrics (`nodejs_*`, `process_*`) this process exports. */
export function processMetricNames(): readonly string[] {
  return processRegistry()
    .getMetricsAsArray()
    .map((metric) => metric.name);
}

/**
 * Adds Node's default metrics to `registry` (idempotent: a name already there is left alone) and returns
 * the registry.
 */
export function collectProcessMetrics(registry: Registry): Registry {
  const source = processRegistry();
  for (const name of processMetricNames()) {
    if (registry.getSingleMetric(name)) continue;
    const metric = source.getSingleMetric(name);
    if (metric) registry.registerMetric(metric);
  }
  return registry;
}

/** A new registry with Node's default metrics, for a process that has no metrics of its own (the web page). */
export function createProcessRegistry(): Registry {
  return collectProcessMetrics(new Registry());
}
