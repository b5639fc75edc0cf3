export {
  DEFAULT_LIFECYCLE_BOUND,
  DEFAULT_TOPIC_BOUNDS,
  LIFECYCLE_TOPIC_NAME,
  lifecycleBounds,
  perShard,
  rabbitPolicyCommand,
  resolveTopicBounds,
  type TopicBound,
  type TopicBoundsOption,
} from './backlog.js';
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
