export type { BusLogger } from './kafka-log.js';
export type { KafkaTransportOptions } from './kafka-options.js';
export { KafkaTransport } from './kafka-transport.js';
