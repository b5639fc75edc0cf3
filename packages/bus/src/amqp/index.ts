export { AmqpTransport } from './amqp-transport.js';
export type { AmqpLogger, AmqpTransportOptions } from './options.js';
export { deliveryRoutingKey, workRoutingKey } from './routing-key.js';
