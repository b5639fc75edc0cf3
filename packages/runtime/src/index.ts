export { ConfigError, type ConfigProblem } from './config/config-error.js';
export { EnvReader } from './config/env-reader.js';
export {
  boolean,
  type Env,
  type Field,
  FieldProblem,
  integer,
  list,
  oneOf,
  refine,
  string,
  url,
} from './config/fields.js';
export {
  type ConfigOf,
  type ConfigSpec,
  configWarnings,
  deprecationWarnings,
  readServiceConfig,
  readSpec,
  specVariables,
} from './config/read-config.js';
export {
  busUrl,
  jwtSecret,
  jwtSecretProblem,
  LOG_LEVELS,
  type LogLevel,
  lifecycleBacklogFields,
  logLevel,
  MIN_JWT_SECRET_LENGTH,
  redisUrl,
} from './config/settings.js';
export {
  closestName,
  RUNTIME_VARIABLES,
  TOOLING_VARIABLES,
  unknownVariableWarnings,
} from './config/unknown-variables.js';
export {
  closeCodeOf,
  ErrorCodes,
  type ErrorSpec,
  HttpError,
  httpStatusOf,
  RuntimeErrorCodes,
  SwitchboardError,
  specOf,
} from './errors.js';
export {
  closeServer,
  HEALTH_PATHS,
  type HealthOptions,
  type HealthRoutes,
  type HealthServer,
  type HealthServerOptions,
  healthRoutes,
  listen,
  pathOf,
  sendJson,
  startHealthServer,
} from './health.js';
export { type CreateLoggerOptions, createLogger, silentLogger } from './logger.js';
export {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  ExitCode,
  runMain,
  type ShutdownOptions,
  type ShutdownStep,
  shutdownOnSignals,
  startFailure,
} from './process.js';
export { addToSetMap, deleteFromSetMap } from './set-map.js';
export {
  type CreateTracingOptions,
  createTracing,
  formatTraceparent,
  NO_TRACING,
  parseTraceparent,
  processTracing,
  type SpanStart,
  shutdownProcessTracing,
  TRACING_VARIABLE,
  type TraceSpan,
  type TraceSpanKind,
  type Tracing,
  tracingConfigured,
  tracingFromEnv,
  unsampledTraceparent,
} from './tracing.js';
