export {
  boolean,
  busUrl,
  type ConfigOf,
  type ConfigSpec,
  type Env,
  type Field,
  integer,
  LOG_LEVELS,
  type LogLevel,
  list,
  oneOf,
  readServiceConfig,
  redisUrl,
  string,
  url,
} from './config.js';
export {
  ConfigError,
  type ConfigProblem,
  ServiceKitError,
  type ServiceKitErrorCode,
  ServiceKitErrorCodes,
} from './errors.js';
export { type CreateLoggerOptions, createLogger, silentLogger } from './logger.js';
export { json, type PayloadDecoder, text } from './payloads.js';
export { runMain, shutdownOnSignals } from './process.js';
export {
  defineService,
  type HandlerOptions,
  type InboundContext,
  type InboundHandler,
  LIFECYCLE_TOPIC,
  type LifecycleContext,
  type LifecycleHandler,
  type Service,
  type ServiceOptions,
} from './service.js';
