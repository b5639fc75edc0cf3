export {
  DEFAULT_HTTP_PORT,
  DEFAULT_LEASE_MS,
  DEFAULT_SWEEP_MS,
  loadPresenceConfig,
  type PresenceConfig,
} from './config.js';
export { MemoryPresenceStore } from './memory-presence-store.js';
export { type ChannelLoad, liveNodes, MAX_NODE_CHANNELS, type NodeView } from './node-view.js';
export {
  type ExpiredNode,
  isPresenceChannel,
  PRESENCE_NODES,
  PRESENCE_QUERY,
  PRESENCE_SERVICE,
  PresenceService,
  type PresenceServiceOptions,
} from './presence-service.js';
export type {
  ConnectionRef,
  Member,
  NodeRecord,
  PresenceStore,
  RemovedConnection,
} from './presence-store.js';
export { RedisPresenceStore, type RedisPresenceStoreOptions } from './redis-presence-store.js';
