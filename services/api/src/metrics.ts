/** Prometheus metrics of the API. Reuses series already in the registry (the embedded all-in-one shares one). */
import { Counter, Histogram, type Registry } from 'prom-client';

export class ApiMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests =
      (registry.getSingleMetric('switchboard_api_requests_total') as Counter<
        'route' | 'method' | 'status'
      >) ??
      new Counter({
        name: 'switchboard_api_requests_total',
        help: 'HTTP API requests by route template, method and status',
        labelNames: ['route', 'method', 'status'],
        registers,
      });
    this.duration =
      (registry.getSingleMetric('switchboard_api_request_duration_seconds') as Histogram<'route'>) ??
      new Histogram({
        name: 'switchboard_api_request_duration_seconds',
        help: 'HTTP API request time by route template (publishes include the broker confirm)',
        labelNames: ['route'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      });
  }
}
