/**
 * WebSocket adapter: the same code runs on the browser's WebSocket and on `ws` in Node. Only the
 * standard surface (on* handlers, binaryType, send, close) is used.
 */

import type { IClientFrame, ServerFrame } from '@switchboard/protocol/client';
import {
  clientFrameToJson,
  decodeServerFrame,
  encodeClientFrame,
  Subprotocol,
  serverFrameFromJson,
} from '@switchboard/protocol/client';
import { ClientError, ClientErrorCodes } from './errors.js';

/** The part of the WHATWG WebSocket that the client needs. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `protobuf`: binary frames over `switchboard.v1.protobuf`; `json`: text frames over `switchboard.v1.json`. */
export type WireFormat = 'protobuf' | 'json';

const SUBPROTOCOL: Record<WireFormat, Subprotocol> = {
  protobuf: Subprotocol.Protobuf,
  json: Subprotocol.Json,
};

const OPEN = 1;
// A variable, so that bundlers do not try to resolve 'ws' for browser builds.
const WS_MODULE = 'ws';

/** The given constructor, else the global WebSocket, else `ws` (Node without a global WebSocket). */
export async function resolveWebSocket(given?: WebSocketConstructor): Promise<WebSocketConstructor> {
  if (given) return given;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  try {
    const mod = (await import(/* @vite-ignore */ WS_MODULE)) as {
      default?: WebSocketConstructor;
      WebSocket?: WebSocketConstructor;
    };
    const ctor = mod.WebSocket ?? mod.default;
    if (ctor) return ctor;
  } catch (cause) {
    throw new ClientError(ClientErrorCodes.Transport, 'no WebSocket: pass options.WebSocket or install ws', {
      cause,
    });
  }
  throw new ClientError(ClientErrorCodes.Transport, 'no WebSocket: pass options.WebSocket or install ws');
}

export interface TransportHandlers {
  onOpen(): void;
  onFrame(frame: ServerFrame): void;
  onBadFrame(error: unknown): void;
  onClose(code: number, reason: string): void;
  /** A socket error, as a ClientError Transport. */
  onError(error: ClientError): void;
}

export interface Transport {
  readonly open: boolean;
  send(frame: IClientFrame): boolean;
  close(code?: number, reason?: string): void;
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) {
    const parts = data as Uint8Array[];
    const out = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
  return undefined;
}

/**
 * Opens a socket speaking the subprotocol of `format`. Handlers fire for this socket only. Incoming
 * frames are decoded by their type (binary: Protobuf, text: JSON) whatever the format.
 */
export function openTransport(
  Ctor: WebSocketConstructor,
  url: string,
  handlers: TransportHandlers,
  format: WireFormat = 'protobuf',
): Transport {
  const encode = format === 'json' ? clientFrameToJson : encodeClientFrame;
  const socket = new Ctor(url, [SUBPROTOCOL[format]]);
  socket.binaryType = 'arraybuffer';
  let closed = false;
  socket.onopen = () => handlers.onOpen();
  socket.onmessage = (event) => {
    let frame: ServerFrame;
    try {
      const bytes = toBytes(event.data);
      if (bytes) frame = decodeServerFrame(bytes);
      else if (typeof event.data === 'string') frame = serverFrameFromJson(event.data);
      else throw new TypeError('unsupported message data');
    } catch (error) {
      handlers.onBadFrame(error);
      return;
    }
    handlers.onFrame(frame);
  };
  socket.onerror = (event) => handlers.onError(new ClientError(ClientErrorCodes.Transport, errorText(event)));
  socket.onclose = (event) => {
    closed = true;
    handlers.onClose(event.code, event.reason);
  };
  return {
    get open() {
      return !closed && socket.readyState === OPEN;
    },
    send(frame) {
      if (closed || socket.readyState !== OPEN) return false;
      socket.send(encode(frame));
      return true;
    },
    close(code, reason) {
      if (closed) return;
      closed = true;
      try {
        socket.close(code, reason);
      } catch {
        socket.close();
      }
    },
  };
}

function errorText(event: unknown): string {
  if (event instanceof Error) return event.message;
  const inner = (event as { error?: unknown; message?: unknown } | null)?.error;
  if (inner instanceof Error) return inner.message;
  const message = (event as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'WebSocket error';
}
