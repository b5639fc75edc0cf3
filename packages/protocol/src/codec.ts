/**
 * Encode/decode helpers around the generated classes. Decoders never throw anything but DecodeError:
 * protobufjs throws RangeError/Error on truncated or garbage input, and a frame whose `kind` is missing
 * is well-formed Protobuf but meaningless to us.
 */

import { DecodeError } from './errors.js';
import { switchboard } from './gen/switchboard.js';

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

/** JSON mapping (subprotocol `switchboard.v1.json`): bytes as base64, enums as names, oneof set as fields. */
const JSON_OPTIONS = { longs: Number, enums: String, bytes: String, defaults: false, oneofs: false } as const;

export function serverFrameToJson(frame: IServerFrame): string {
  const message =
    frame instanceof v1.ServerFrame ? frame : v1.ServerFrame.fromObject(frame as Record<string, unknown>);
  return JSON.stringify(v1.ServerFrame.toObject(message, JSON_OPTIONS));
}

export function clientFrameToJson(frame: IClientFrame): string {
  const message =
    frame instanceof v1.ClientFrame ? frame : v1.ClientFrame.fromObject(frame as Record<string, unknown>);
  return JSON.stringify(v1.ClientFrame.toObject(message, JSON_OPTIONS));
}

function fromJson<T>(cls: MessageClass<T, unknown>, what: string, text: string, requireOneof: keyof T): T {
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError(`${what}: not JSON`, { cause });
  }
  if (object === null || typeof object !== 'object' || Array.isArray(object))
    throw new DecodeError(`${what}: JSON must be an object`);
  const problem = cls.verify(object as Record<string, unknown>);
  if (problem) throw new DecodeError(`${what}: ${problem}`);
  let message: T;
  try {
    message = cls.fromObject(object as Record<string, unknown>);
  } catch (cause) {
    throw new DecodeError(`${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  if (!message[requireOneof]) throw new DecodeError(`${what}: no ${String(requireOneof)} set`);
  return message;
}

export function clientFrameFromJson(text: string): ClientFrame {
  return fromJson(v1.ClientFrame as MessageClass<ClientFrame, unknown>, 'ClientFrame', text, 'kind');
}

export function serverFrameFromJson(text: string): ServerFrame {
  return fromJson(v1.ServerFrame as MessageClass<ServerFrame, unknown>, 'ServerFrame', text, 'kind');
}

export { switchboard };
