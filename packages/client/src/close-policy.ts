/**
 * What the client does when a socket ends: reconnect or stop, as the close code says
 * (`shouldReconnect`), unless a Disconnect frame came first: its `reconnect` wins and its delay
 * replaces the backoff for that one reconnect. 3501 (token expired) always reconnects with a fresh token.
 */
import { CloseCode, shouldReconnect, type switchboard } from '@switchboard/protocol/client';

export interface ServerDisconnect {
  code: number;
  reason: string;
  reconnect: boolean;
  delayMs: number;
}

export interface CloseDecision {
  code: number;
  reason: string;
  reconnect: boolean;
  /** Replaces the backoff delay when set. */
  delayMs?: number;
  /** Ask `getToken` for a fresh token on the next attempt. */
  tokenExpired: boolean;
}

export function toServerDisconnect(d: switchboard.v1.IDisconnect): ServerDisconnect {
  return {
    code: d.code ?? 0,
    reason: d.reason ?? '',
    reconnect: d.reconnect ?? false,
    delayMs: d.reconnectDelayMs ?? 0,
  };
}

export function decideAfterClose(code: number, reason: string, d: ServerDisconnect | null): CloseDecision {
  let reconnect = shouldReconnect(code);
  let delayMs: number | undefined;
  if (d) {
    code = d.code || code;
    reason = d.reason || reason;
    reconnect = d.reconnect;
    if (d.delayMs > 0) delayMs = d.delayMs;
  }
  const tokenExpired = code === CloseCode.TokenExpired;
  return {
    code,
    reason,
    reconnect: reconnect || tokenExpired,
    ...(delayMs ? { delayMs } : {}),
    tokenExpired,
  };
}
