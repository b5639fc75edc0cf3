/**
 * Wire formats. A server frame is built once and encoded at most once per format, lazily, so a delivery
 * to 10,000 Protobuf sockets costs one encode, one framing and 10,000 writes of the same bytes.
 */
import {
  type ClientFrame,
  clientFrameFromJson,
  DecodeError,
  decodeClientFrame,
  encodeServerFrame,
  type IServerFrame,
  Subprotocol,
  serverFrameToJson,
} from '@switchboard/protocol';
import { buildFrame } from './raw-frames.js';

export type WireFormat = 'protobuf' | 'json';

export class EncodedFrame {
  readonly frame: IServerFrame;
  #protobuf: Uint8Array | undefined;
  #json: Buffer | undefined;
  #framedBinary: Buffer | undefined;
  #framedText: Buffer | undefined;

  constructor(frame: IServerFrame) {
    this.frame = frame;
  }

  /** The message payload: Protobuf bytes, or the JSON text as UTF-8 bytes (sent as a text message). */
  payload(format: WireFormat): Uint8Array {
    if (format === 'json') {
      this.#json ??= Buffer.from(serverFrameToJson(this.frame), 'utf8');
      return this.#json;
    }
    this.#protobuf ??= encodeServerFrame(this.frame);
    return this.#protobuf;
  }

  /** The complete unmasked WebSocket frame of `payload(format)`: binary for Protobuf, text for JSON. */
  framed(format: WireFormat): Buffer {
    if (format === 'json') {
      this.#framedText ??= buildFrame(this.payload('json'), false);
      return this.#framedText;
    }
    this.#framedBinary ??= buildFrame(this.payload('protobuf'), true);
    return this.#framedBinary;
  }
}

/** Decodes one incoming WebSocket message; throws DecodeError (wrong frame type included). */
export function decodeIncoming(format: WireFormat, data: Buffer, isBinary: boolean): ClientFrame {
  if (format === 'json') {
    if (isBinary) throw new DecodeError('ClientFrame: binary message on the JSON subprotocol');
    return clientFrameFromJson(data.toString('utf8'));
  }
  if (!isBinary) throw new DecodeError('ClientFrame: text message on the Protobuf subprotocol');
  return decodeClientFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** ws `handleProtocols`: JSON when asked for, Protobuf otherwise (also when no subprotocol is offered). */
export function chooseSubprotocol(offered: Set<string>): string | false {
  if (offered.has(Subprotocol.Json)) return Subprotocol.Json;
  if (offered.has(Subprotocol.Protobuf)) return Subprotocol.Protobuf;
  return false;
}

export function formatOf(protocol: string): WireFormat {
  return protocol === Subprotocol.Json ? 'json' : 'protobuf';
}
