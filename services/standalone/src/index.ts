export {
  type AllInOneConfig,
  devTokensEnabled,
  readAllInOneConfig,
  readStandaloneConfig,
  type StandaloneConfig,
  standaloneConfigSpec,
} from './config.js';
export { createStandaloneLogger } from './logger.js';
export { type Standalone, type StandaloneDeps, startStandalone } from './standalone.js';
export { EdgeStats, type NodeStats, type Stats } from './stats.js';
export { createTokenIssuer, generateSecret } from './tokens.js';
