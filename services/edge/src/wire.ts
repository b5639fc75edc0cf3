/**
 * Wire formats. A server frame is built once and encoded at most once per format, lazily, so a delivery
 * to 10,000 Protobuf sockets costs one encode and 10,000 writes of the same bytes.
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

export type WireFormat = 'protobuf' | 'json';

export class EncodedFrame {
  readonly frame: IServerFrame;
  #bytes: Uint8Array | undefined;
  #json: string | undefined;

  constructor(frame: IServerFrame) {
    this.frame = frame;
  }

  for(format: WireFormat): Uint8Array | string {
    if (format === 'json') {
      this.#json ??= serverFrameToJson(this.frame);
      return this.#json;
    }
    this.#bytes ??= encodeServerFrame(this.frame);
    return this.#bytes;
  }
}

export function byteLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
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
