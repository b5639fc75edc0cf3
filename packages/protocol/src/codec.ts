/**
 * Encode/decode helpers around the generated classes. Decoders never throw anything but DecodeError:
 * protobufjs throws RangeError/Error on truncated or garbage input, and a frame whose `kind` is missing
 * is well-formed Protobuf but meaningless to us.
 */

import { DecodeError } from './errors.js';
import { switchboard } from './gen/switchboard.js';
import { decodeJsonMessage, type JsonDecodeOptions } from './json-decode.js';
import { encodeJsonMessage } from './json-encode.js';
import { protoSchemas } from './json-schema.js';

const v1 = switchboard.v1;

export type ClientFrame = switchboard.v1.ClientFrame;
export type ServerFrame = switchboard.v1.ServerFrame;
export type Inbound = switchboard.v1.Inbound;
export type Delivery = switchboard.v1.Delivery;
export type LifecycleEvent = switchboard.v1.LifecycleEvent;
export type IClientFrame = switchboard.v1.IClientFrame;
export type IServerFrame = switchboard.v1.IServerFrame;
export type IInbound = switchboard.v1.IInbound;
export type IDelivery = switchboard.v1.IDelivery;
export type ILifecycleEvent = switchboard.v1.ILifecycleEvent;
export type OrderEvent = switchboard.v1.OrderEvent;
export type IOrderEvent = switchboard.v1.IOrderEvent;
export type DeliveryReceipt = switchboard.v1.DeliveryReceipt;
export type IDeliveryReceipt = switchboard.v1.IDeliveryReceipt;
export const ReceiptStatus = switchboard.v1.DeliveryReceipt.Status;

interface MessageClass<T, I> {
  encode(message: I): { finish(): Uint8Array };
  decode(reader: Uint8Array): T;
  verify(message: Record<string, unknown>): string | null;
  fromObject(object: Record<string, unknown>): T;
  toObject(message: T, options?: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Binary decoding is bounded by the frame: protobufjs checks every length prefix against the bytes left
 * before reading, `bytes` fields are views of the frame (no copy), and unknown fields are dropped
 * (Reader.discardUnknown). The worst legal shape, empty repeated messages at 2 bytes each, decodes to
 * about 17x its size (decode-memory.test.ts); the transport's frame limit bounds the rest.
 */
function decoder<T, I>(cls: MessageClass<T, I>, what: string, requireOneof?: keyof T) {
  return (bytes: Uint8Array): T => {
    if (!(bytes instanceof Uint8Array)) throw new DecodeError(`${what}: expected bytes`);
    let message: T;
    try {
      message = cls.decode(bytes);
    } catch (cause) {
      throw new DecodeError(`${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    if (requireOneof && !message[requireOneof])
      throw new DecodeError(`${what}: no ${String(requireOneof)} set`);
    return message;
  };
}

function encoder<T, I>(cls: MessageClass<T, I>) {
  return (message: I): Uint8Array => cls.encode(message).finish();
}

export const encodeClientFrame = encoder<ClientFrame, IClientFrame>(v1.ClientFrame);
export const decodeClientFrame = decoder<ClientFrame, IClientFrame>(v1.ClientFrame, 'ClientFrame', 'kind');
export const encodeServerFrame = encoder<ServerFrame, IServerFrame>(v1.ServerFrame);
export const decodeServerFrame = decoder<ServerFrame, IServerFrame>(v1.ServerFrame, 'ServerFrame', 'kind');
export const encodeInbound = encoder<Inbound, IInbound>(v1.Inbound);
export const decodeInbound = decoder<Inbound, IInbound>(v1.Inbound, 'Inbound');
export const encodeDelivery = encoder<Delivery, IDelivery>(v1.Delivery);
export const decodeDelivery = decoder<Delivery, IDelivery>(v1.Delivery, 'Delivery', 'target');
export const encodeLifecycleEvent = encoder<LifecycleEvent, ILifecycleEvent>(v1.LifecycleEvent);
export const decodeLifecycleEvent = decoder<LifecycleEvent, ILifecycleEvent>(
  v1.LifecycleEvent,
  'LifecycleEvent',
  'event',
);

export const encodeOrderEvent = encoder<OrderEvent, IOrderEvent>(v1.OrderEvent);
export const decodeOrderEvent = decoder<OrderEvent, IOrderEvent>(v1.OrderEvent, 'OrderEvent', 'kind');
export const encodeDeliveryReceipt = encoder<DeliveryReceipt, IDeliveryReceipt>(v1.DeliveryReceipt);
export const decodeDeliveryReceipt = decoder<DeliveryReceipt, IDeliveryReceipt>(
  v1.DeliveryReceipt,
  'DeliveryReceipt',
);

/**
 * JSON mapping (subprotocol `switchboard.v1.json`): the proto3 JSON mapping, printed by json-encode.ts and
 * parsed by json-decode.ts (docs/protocol.md, "JSON mapping"). Input from a client is parsed strictly
 * (unknown fields refused); the SDK reading an edge's frames ignores fields it does not know yet.
 */
function toJson<T extends object>(
  cls: MessageClass<T, unknown> & (new () => T),
  typeName: string,
  frame: unknown,
): string {
  const message = frame instanceof cls ? frame : cls.fromObject(frame as Record<string, unknown>);
  return JSON.stringify(encodeJsonMessage(protoSchemas, typeName, message));
}

function fromJson<T>(
  typeName: string,
  what: string,
  text: string,
  requireOneof: keyof T,
  options: JsonDecodeOptions,
): T {
  const message = decodeJsonMessage(protoSchemas, typeName, what, text, options) as T;
  if (!message[requireOneof]) throw new DecodeError(`${what}: no ${String(requireOneof)} set`);
  return message;
}

export function serverFrameToJson(frame: IServerFrame): string {
  return toJson(v1.ServerFrame, 'switchboard.v1.ServerFrame', frame);
}

export function clientFrameToJson(frame: IClientFrame): string {
  return toJson(v1.ClientFrame, 'switchboard.v1.ClientFrame', frame);
}

/** Parses a client's JSON frame; unknown fields are refused unless `options.unknownFields` is `ignore`. */
export function clientFrameFromJson(text: string, options: JsonDecodeOptions = {}): ClientFrame {
  return fromJson<ClientFrame>('switchboard.v1.ClientFrame', 'ClientFrame', text, 'kind', options);
}

/** Parses an edge's JSON frame; unknown fields (from a newer edge) are skipped unless told to `reject`. */
export function serverFrameFromJson(text: string, options: JsonDecodeOptions = {}): ServerFrame {
  return fromJson<ServerFrame>('switchboard.v1.ServerFrame', 'ServerFrame', text, 'kind', {
    ...options,
    unknownFields: options.unknownFields ?? 'ignore',
  });
}

export { DEFAULT_JSON_DECODE_LIMITS, type JsonDecodeOptions } from './json-decode.js';
export { switchboard };
