export { createRedisClient, parseRedisUrl, RedisUrlError } from './redis-connection.js';
export type { RedisBusLogger, RedisTransportOptions } from './redis-options.js';
export { RedisTransport } from './redis-transport.js';
