export type { BusLogger } from './kafka-log.js';
export type { KafkaTransportOptions } from './kafka-options.js';
export type { Replication, ReplicationOption } from './kafka-replication.js';
export { replicationFor, replicationOfQuery } from './kafka-replication.js';
export { KafkaTransport } from './kafka-transport.js';
