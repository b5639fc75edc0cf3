export {
  type BusConnectLogger,
  busKind,
  type ConnectBusOptions,
  connectBus,
  kafkaBrokers,
} from './connect.js';
export * from './errors.js';
export { InterestIndex } from './interest-index.js';
export * from './routes.js';
export type {
  Closable,
  DeadLetter,
  DeadLetterHandler,
  DeliveryHandler,
  NodeSubscription,
  Route,
  Transport,
  TransportEvent,
  WorkConsumerOptions,
  WorkHandler,
  WorkMessage,
} from './transport.js';
