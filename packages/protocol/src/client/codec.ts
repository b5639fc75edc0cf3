/**
 * The frames of client.proto for the browser SDK, in both subprotocols: binary Protobuf (binary-codec.ts)
 * and the proto3 JSON mapping (the JSON codec shared with the server, over client.proto's schema set).
 * Nothing here loads protobufjs, `long` or the server-only messages of bus.proto and orders.proto; the
 * golden frame vectors (proto/testdata/frames.json) hold this codec and the server's to the same bytes
 * and text. Decoders throw only DecodeError.
 */
import { DecodeError } from '../errors.js';
import { decodeJsonMessage, type JsonDecodeOptions } from '../json-decode.js';
import { encodeJsonMessage } from '../json-encode.js';
import { decodeBinary, encodeBinary } from './binary-codec.js';
import { clientSchemas } from './messages.js';
import type { switchboard } from './types.gen.js';

export type { switchboard } from './types.gen.js';
export type ClientFrame = switchboard.v1.ClientFrame;
export type ServerFrame = switchboard.v1.ServerFrame;
export type IClientFrame = switchboard.v1.IClientFrame;
export type IServerFrame = switchboard.v1.IServerFrame;

const CLIENT_FRAME = 'switchboard.v1.ClientFrame';
const SERVER_FRAME = 'switchboard.v1.ServerFrame';

function decodeFrame<T extends { kind?: string }>(typeName: string, what: string, bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`${what}: expected bytes`);
  let frame: T;
  try {
    frame = decodeBinary(typeName, bytes) as T;
  } catch (cause) {
    throw new DecodeError(`${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  if (!frame.kind) throw new DecodeError(`${what}: no kind set`);
  return frame;
}

function fromJson<T extends { kind?: string }>(
  typeName: string,
  what: string,
  text: string,
  options: JsonDecodeOptions,
): T {
  const frame = decodeJsonMessage(clientSchemas, typeName, what, text, options) as T;
  if (!frame.kind) throw new DecodeError(`${what}: no kind set`);
  return frame;
}

export const encodeClientFrame = (frame: IClientFrame): Uint8Array => encodeBinary(CLIENT_FRAME, frame);
export const encodeServerFrame = (frame: IServerFrame): Uint8Array => encodeBinary(SERVER_FRAME, frame);
export const decodeClientFrame = (bytes: Uint8Array): ClientFrame =>
  decodeFrame<ClientFrame>(CLIENT_FRAME, 'ClientFrame', bytes);
export const decodeServerFrame = (bytes: Uint8Array): ServerFrame =>
  decodeFrame<ServerFrame>(SERVER_FRAME, 'ServerFrame', bytes);

export const clientFrameToJson = (frame: IClientFrame): string =>
  JSON.stringify(encodeJsonMessage(clientSchemas, CLIENT_FRAME, frame));
export const serverFrameToJson = (frame: IServerFrame): string =>
  JSON.stringify(encodeJsonMessage(clientSchemas, SERVER_FRAME, frame));

/** Parses a client's JSON frame; unknown fields are refused unless `options.unknownFields` is `ignore`. */
export function clientFrameFromJson(text: string, options: JsonDecodeOptions = {}): ClientFrame {
  return fromJson<ClientFrame>(CLIENT_FRAME, 'ClientFrame', text, options);
}

/** Parses an edge's JSON frame; unknown fields (from a newer edge) are skipped unless told to `reject`. */
export function serverFrameFromJson(text: string, options: JsonDecodeOptions = {}): ServerFrame {
  return fromJson<ServerFrame>(SERVER_FRAME, 'ServerFrame', text, {
    ...options,
    unknownFields: options.unknownFields ?? 'ignore',
  });
}
