/** Public types of the client SDK: what events carry. */
import type { switchboard } from '@switchboard/protocol/client';

export type ClientState = 'disconnected' | 'connecting' | 'connected';
export type SubscriptionState = 'unsubscribed' | 'subscribing' | 'subscribed';

/** Where a client stands in a durable channel: the last offset seen within an epoch. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface StateChange<S> {
  newState: S;
  oldState: S;
}

export interface ConnectedContext {
  connectionId: string;
  userId: string;
  nodeId: string;
  pingIntervalMs: number;
  /** Token expiry as given by the server; 0 = none. */
  expiresAtMs: number;
}

export interface DisconnectContext {
  code: number;
  reason: string;
}

export interface ClientInfo {
  userId: string;
  connectionId: string;
  info: Uint8Array;
}

export interface Publication {
  channel: string;
  /** 0 for ephemeral publications. */
  offset: number;
  epoch: string;
  type: string;
  payload: Uint8Array;
  from?: ClientInfo;
  timeMs: number;
}

export interface PushNotification {
  id: string;
  type: string;
  payload: Uint8Array;
  timeMs: number;
  requiresAck: boolean;
}

export interface SubscribedContext {
  channel: string;
  durable: boolean;
  /** The subscribe carried `since` (a resume). */
  wasRecovering: boolean;
  /** Every publication since `since` was delivered; false means a gap the app must fill (e.g. reload). */
  recovered: boolean;
  position?: StreamPosition;
}

export interface ErrorContext {
  type: 'transport' | 'connect' | 'token' | 'decode' | 'server' | 'subscribe' | 'ping';
  error: unknown;
}

export interface ClientEvents {
  state: StateChange<ClientState>;
  connecting: DisconnectContext;
  connected: ConnectedContext;
  disconnected: DisconnectContext;
  error: ErrorContext;
  push: PushNotification;
}

export interface ReplyResult {
  type: string;
  payload: Uint8Array;
}

export interface HistoryResult {
  channel: string;
  position?: StreamPosition;
  publications: Publication[];
}

export interface PresenceResult {
  channel: string;
  clients: ClientInfo[];
}

const EMPTY = new Uint8Array(0);

export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export function toPosition(p: switchboard.v1.IStreamPosition | null | undefined): StreamPosition | undefined {
  if (!p) return undefined;
  return { offset: toNumber(p.offset), epoch: p.epoch ?? '' };
}

export function toClientInfo(c: switchboard.v1.IClientInfo | null | undefined): ClientInfo | undefined {
  if (!c) return undefined;
  return { userId: c.userId ?? '', connectionId: c.connectionId ?? '', info: c.info ?? EMPTY };
}

export function toPublication(p: switchboard.v1.IPublication): Publication {
  const from = toClientInfo(p.from);
  return {
    channel: p.channel ?? '',
    offset: toNumber(p.offset),
    epoch: p.epoch ?? '',
    type: p.type ?? '',
    payload: p.payload ?? EMPTY,
    ...(from ? { from } : {}),
    timeMs: toNumber(p.timeMs),
  };
}

export function toPush(p: switchboard.v1.IPush): PushNotification {
  return {
    id: p.id ?? '',
    type: p.type ?? '',
    payload: p.payload ?? EMPTY,
    timeMs: toNumber(p.timeMs),
    requiresAck: p.requiresAck ?? false,
  };
}
