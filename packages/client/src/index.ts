export { SwitchboardError } from '@switchboard/protocol/client';
export { Backoff, type BackoffOptions, backoffCeiling, fullJitterDelay } from './backoff.js';
export {
  Client,
  type ClientEvents,
  type ClientOptions,
  type HistoryOptions,
  type RequestOptions,
  type SendOptions,
  type TokenContext,
} from './client.js';
export { Emitter, type Listener } from './emitter.js';
export { ClientError, ClientErrorCodes, ServerError, TimeoutError } from './errors.js';
export { type SubscribeOptions, Subscription, type SubscriptionEvents } from './subscription.js';
export type { WebSocketConstructor, WebSocketLike, WireFormat } from './transport.js';
export type {
  ClientInfo,
  ClientState,
  ConnectedContext,
  DisconnectContext,
  ErrorContext,
  HistoryResult,
  PresenceResult,
  Publication,
  PushNotification,
  ReplyResult,
  StateChange,
  StreamPosition,
  SubscribedContext,
  SubscriptionState,
} from './types.js';
