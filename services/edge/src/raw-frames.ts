/**
 * Pre-framed WebSocket bytes, written straight to a connection's TCP socket.
 *
 * Why: `ws.send()` frames every message again for every client (a header Buffer per send) and writes header
 * and payload as two buffers, so a fan-out of one message to N clients costs N framings and N two-buffer
 * writevs. A server frame is unmasked, so its bytes (header + payload) are the same for every client of a
 * subprotocol: the edge builds them once per delivery (`buildFrame`), concatenates the frames queued for a
 * socket in one tick, and writes that one Buffer (`writeFrames`).
 *
 * ws has no public API for writing pre-framed bytes, so this module reaches into its private `_socket`
 * (ws 8.x: the net.Socket the WebSocket owns). Every access to it in the edge is here: `rawSocketOf` for raw
 * writes, behind a feature check, and `privateSocketOf` for corking the `ws.send()` path: when the field is missing or not a writable stream, or when an extension is negotiated
 * (permessage-deflate frames must go through ws's compressor and its RSV1 bit; its queue would also reorder
 * against raw writes), the caller falls back to `ws.send()`. Raw writes are safe to interleave with ws's own
 * writes (pings, pongs, the close frame) because without extensions ws's Sender writes each frame to the
 * socket synchronously, and every raw write here is whole frames. Nothing is written once ws has left OPEN
 * (it is closing: its close frame may already be on the wire) or the socket can no longer be written.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
const FIN = 0x80;
/** WebSocket.OPEN (the same value on every ws instance and in the standard). */
const OPEN = 1;

/** Header length of an unmasked frame with a payload of `length` bytes (RFC 6455 §5.2). */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/**
 * One complete, final, unmasked server frame (FIN set, no RSV bits): header + a copy of `payload`.
 * Binary opcode by default; `binary = false` gives a text frame (the payload must then be UTF-8).
 */
export function buildFrame(payload: Uint8Array, binary = true): Buffer {
  const length = payload.byteLength;
  const head = headerLength(length);
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT);
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.set(payload, head);
  return frame;
}

/**
 * ws's private net.Socket (undefined when ws has none or changed the field): the connection corks it around
 * a batch of `ws.send()` calls, which ws does not do by itself.
 */
export function privateSocketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}

/**
 * The socket pre-framed bytes may be written to for this WebSocket, or undefined: use `ws.send()`.
 * Checked once per connection, right after the handshake (extensions are fixed by then).
 */
export function rawSocketOf(ws: WebSocket): Socket | undefined {
  if (ws.extensions !== '') return undefined;
  const socket = privateSocketOf(ws);
  if (
    typeof socket !== 'object' ||
    socket === null ||
    typeof socket.write !== 'function' ||
    typeof socket.writableLength !== 'number' ||
    typeof socket.destroyed !== 'boolean'
  )
    return undefined;
  return socket;
}

// The concatenation of the last queue written, shared by the next socket whose queue holds the very same
// frames (the usual case: every subscriber of a channel gets the same frames in the same tick).
let lastParts: readonly Buffer[] = [];
let lastJoined: Buffer | undefined;

function sameParts(parts: readonly Buffer[]): boolean {
  if (lastJoined === undefined || parts.length !== lastParts.length) return false;
  for (let i = 0; i < parts.length; i++) if (parts[i] !== lastParts[i]) return false;
  return true;
}

/**
 * Writes `frames` (complete frames) to `socket` as one Buffer. Returns false, writing
 * nothing, when ws is no longer OPEN or the socket cannot be written: the frames are then dropped, as
 * ws.send() would have done on a closing socket.
 */
export function writeFrames(ws: WebSocket, socket: Socket, frames: readonly Buffer[]): boolean {
  if (ws.readyState !== OPEN || socket.destroyed || !socket.writable) return false;
  if (frames.length === 1) {
    socket.write(frames[0]!);
    return true;
  }
  if (!sameParts(frames)) {
    lastJoined = Buffer.concat(frames as Buffer[]);
    lastParts = frames;
  }
  socket.write(lastJoined!);
  return true;
}

/** Forgets the shared concatenation (end of a flush round: nothing to share with any more). */
export function releaseShared(): void {
  lastParts = [];
  lastJoined = undefined;
}
