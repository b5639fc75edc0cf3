/**
 * `@switchboard/protocol/client`: what a client of an edge needs — the frames of client.proto in both
 * subprotocols, close codes, unsubscribe codes and the error catalogue — without protobufjs, `long` or the
 * server-only messages (bus.proto, orders.proto). The browser SDK imports only this entry.
 */
export { CloseCode, shouldReconnect } from '../close-codes.js';
export { DecodeError, ErrorCodes, type ErrorSpec, errorByWire, SwitchboardError } from '../errors.js';
export { DEFAULT_JSON_DECODE_LIMITS, type JsonDecodeOptions } from '../json-decode.js';
export { Subprotocol } from '../subprotocols.js';
export { shouldResubscribe, UnsubscribeCode } from '../unsubscribe-codes.js';
export {
  type ClientFrame,
  clientFrameFromJson,
  clientFrameToJson,
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  type IClientFrame,
  type IServerFrame,
  type ServerFrame,
  serverFrameFromJson,
  serverFrameToJson,
  type switchboard,
} from './codec.js';
