// A backend that installed only this package connects to its bus here (memory, amqp://, kafka://, redis://):
// `new Publisher({ transport: await connectBus(process.env.SWITCHBOARD_BUS) })`.
export { type ConnectBusOptions, connectBus, type Transport } from '@switchboard/bus';
export { PublisherError, type PublisherErrorCode, PublisherErrorCodes } from './errors.js';
export type { Payload } from './payload.js';
export { toPayloadBytes } from './payload.js';
export {
  type ChannelPublishOptions,
  type DisconnectOptions,
  type DisconnectTarget,
  HISTORY_PUBLISH_TYPE,
  HISTORY_TOPIC,
  Publisher,
  type PublisherOptions,
  type PushOptions,
} from './publisher.js';
export { nodeOfConnection, routeOf } from './targets.js';
