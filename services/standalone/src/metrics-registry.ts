/**
 * One `/metrics` for the all-in-one. History, chat and notifications write into one shared registry (the
 * service kit reuses series already there); once the edge exists, the metric objects of that registry and of
 * the API's are registered into the edge's registry too, which is what `/metrics` (public on loopback, the
 * internal listener otherwise) renders, with the edge's `node` label on every series. The API's own port
 * keeps serving only its own series, so a scraper of both counts nothing twice.
 */
import type { Registry } from '@switchboard/metrics';

export function adoptMetrics(target: Registry, source: Registry): void {
  for (const { name } of source.getMetricsAsArray()) {
    const metric = source.getSingleMetric(name);
    const present = target.getSingleMetric(name);
    // Node's default metrics are one set of objects per process (@switchboard/metrics): already there.
    if (!metric || present === metric) continue;
    if (present)
      throw new Error(`metric ${name} exists in both registries: the all-in-one cannot serve both`);
    target.registerMetric(metric);
  }
}
