export {
  ConfigError,
  type ConfigProblem,
  type EdgeConfig,
  type LoadConfigOptions,
  loadConfig,
  MIN_JWT_SECRET_LENGTH,
} from './config.js';
export type { DrainResult } from './drain.js';
export { EdgeNode, type EdgeNodeDeps } from './edge-node.js';
export type { HttpFallback } from './http-routes.js';
export { EdgeMetrics } from './metrics.js';
export { DEFAULT_LIMITS, DEFAULTS, type EdgeLimits, type EdgeNodeOptions } from './options.js';
