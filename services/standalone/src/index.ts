export {
  type AllInOneConfig,
  DEFAULT_API_PORT,
  DEFAULT_INTERNAL_PORT,
  readAllInOneConfig,
  standaloneConfigSpec,
} from './config.js';
export { type InternalServer, startInternalServer } from './internal-server.js';
export { createStandaloneLogger } from './logger.js';
export { isLoopback } from './loopback.js';
export { type Standalone, type StandaloneDeps, startStandalone } from './standalone.js';
export { EdgeStats, type NodeStats, type Stats } from './stats.js';
