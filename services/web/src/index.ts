export { buildWebAssets, type WebAssets } from './bundle.js';
export {
  createDevTokenIssuer,
  DEV_TOKEN_TTL_SECONDS,
  generateDevSecret,
  signDevToken,
} from './dev-tokens.js';
export {
  createWebHandler,
  MAX_ORDER_BODY_BYTES,
  type OrderCaller,
  type OrderEvent,
  type WebConfig,
  type WebHandler,
  type WebHandlerOptions,
} from './static-server.js';
