/**
 * ws's frame-parser errors (a message over maxPayload, invalid UTF-8 in a text frame, a bad opcode…),
 * caught while the connection is still OPEN.
 *
 * ws answers them on its own: it closes with the error's status code (1009, 1007, 1002) and an empty
 * reason, then emits 'error' on the WebSocket — too late to tell the client anything, since the close
 * frame is already written and nothing may follow it. The protocol promises more: Error 101
 * (FrameTooLarge) for an oversized frame, and a Disconnect frame before every close. ws has no public hook
 * ahead of its own close, so this reaches into its private `_receiver` (ws 8.x: the Writable that parses
 * frames; ws closes from its 'error' listener) and puts a listener in front of ws's. It runs while
 * readyState is OPEN; ws's close that follows finds the connection closing and only ends the socket.
 * Without the field (another ws major), nothing is hooked and ws closes as it did: the tests that expect
 * Error 101 then fail, rather than the edge.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';

export interface FrameError extends Error {
  /** ws's error code, e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH. */
  readonly code?: string;
}

/** 1002 (protocol error): ws's code for every frame error that carries no code of its own. */
const PROTOCOL_ERROR = 1002;

/**
 * Calls `listener` with each frame error of `ws` and the close code ws would use, before ws closes.
 * Returns false when ws's internals are not as expected (nothing hooked).
 */
export function onFrameError(
  ws: WebSocket,
  listener: (error: FrameError, closeCode: number) => void,
): boolean {
  const receiver = (ws as unknown as { _receiver?: unknown })._receiver;
  if (!(receiver instanceof EventEmitter)) return false;
  receiver.prependListener('error', (error: FrameError) => listener(error, closeCodeOf(error)));
  return true;
}

/** ws keeps the close code under a private symbol described `status-code`. */
function closeCodeOf(error: FrameError): number {
  for (const key of Object.getOwnPropertySymbols(error)) {
    if (key.description !== 'status-code') continue;
    const code = (error as unknown as Record<symbol, unknown>)[key];
    if (typeof code === 'number') return code;
  }
  return PROTOCOL_ERROR;
}
