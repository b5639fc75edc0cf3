// The process plumbing (config builder, logger, health server, signals) is @switchboard/runtime's; it is
// re-exported here so that a service needs one import for what every service uses.
export {
  boolean,
  busUrl,
  ConfigError,
  type ConfigOf,
  type ConfigProblem,
  type ConfigSpec,
  type CreateLoggerOptions,
  configWarnings,
  createLogger,
  type Env,
  ExitCode,
  type Field,
  integer,
  LOG_LEVELS,
  type LogLevel,
  lifecycleBacklogFields,
  list,
  logLevel,
  oneOf,
  readServiceConfig,
  redisUrl,
  runMain,
  shutdownOnSignals,
  silentLogger,
  string,
  url,
} from '@switchboard/runtime';
export {
  ServiceKitError,
  type ServiceKitErrorCode,
  ServiceKitErrorCodes,
  ServiceKitErrors,
} from './errors.js';
export {
  classify,
  type GapReason,
  type LifecycleCursor,
  type LifecycleCursorStore,
  MemoryLifecycleCursors,
  type RedisEval,
  RedisLifecycleCursors,
  type SequenceVerdict,
} from './lifecycle-sequence.js';
export { json, type PayloadDecoder, text } from './payloads.js';
export { defineService, LIFECYCLE_TOPIC } from './service.js';
export type * from './service-types.js';
