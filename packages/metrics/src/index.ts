export type { Registry } from 'prom-client';
export { collectProcessMetrics, createProcessRegistry, processMetricNames } from './process-metrics.js';
export { serveMetrics } from './serve-metrics.js';
