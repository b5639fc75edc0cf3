export type {
  Route,
  Transport,
  WorkMessage,
  WorkHandler,
  WorkConsumerOptions,
  DeadLetter,
  DeadLetterHandler,
  DeliveryHandler,
  NodeSubscription,
  Closable,
  TransportEvent,
} from './transport.js';
export * from './errors.js';
export * from './routes.js';
export { InterestIndex } from './interest-index.js';
