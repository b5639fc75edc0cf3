/**
 * The page's state and the pure functions that change it. Views render from it; the session (session.ts)
 * turns SDK events into updates. Everything here is free of DOM and SDK objects, so it is unit-tested.
 */
import { asRecord, str, timeOf } from './codec.js';

export type ConnectionState = 'idle' | 'disconnected' | 'connecting' | 'connected';

export interface WebConfig {
  wsUrl: string;
  apiBase: string;
}

export interface ChatMessage {
  /** Server id; for an own message not yet confirmed, `local:<clientMsgId>`. */
  id: string;
  clientMsgId?: string;
  room: string;
  text: string;
  user: string;
  time: number;
  status: 'pending' | 'sent' | 'failed';
  edited?: boolean;
}

export interface PresenceMember {
  userId: string;
  connections: string[];
}

export const ORDER_KINDS = ['created', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

export interface Notice {
  id: string;
  type: string;
  title: string;
  body: string;
  orderId?: string;
  timeMs: number;
  requiresAck: boolean;
  read: boolean;
}

export interface HealthNode {
  id: string;
  detail: string;
}

export interface Health {
  connections?: number;
  messagesPerSecond?: number;
  nodes: HealthNode[];
}

export type HealthView =
  | { status: 'loading' }
  | { status: 'ok'; data: Health; atMs: number }
  | { status: 'unavailable' }
  | { status: 'error'; message: string };

export interface RecoveryNote {
  count: number;
  /** The server could not replay everything: history was reloaded instead. */
  gap: boolean;
  atMs: number;
}

export interface AppState {
  config: WebConfig | null;
  user: string | null;
  connection: ConnectionState;
  /** Why the client stopped for good (terminal disconnect), if it did. */
  stopped: string | null;
  room: string | null;
  rooms: string[];
  messages: ChatMessage[];
  /** user → typing until (ms since epoch). */
  typing: Record<string, number>;
  presence: PresenceMember[];
  notices: Notice[];
  recovery: RecoveryNote | null;
  health: HealthView;
  /** Last user-facing error of the chat area. */
  chatError: string | null;
  busy: boolean;
}

export function initialState(): AppState {
  return {
    config: null,
    user: null,
    connection: 'idle',
    stopped: null,
    room: null,
    rooms: [],
    messages: [],
    typing: {},
    presence: [],
    notices: [],
    recovery: null,
    health: { status: 'loading' },
    chatError: null,
    busy: false,
  };
}

// ------------------------------------------------------------------ names

export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** Same rule as the chat service's rooms. */
export const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

// ------------------------------------------------------------------ chat messages

/** A `chat.message` payload as a message, or undefined when it lacks an id or text. */
export function parseChatMessage(payload: unknown, fallbackTimeMs: number): ChatMessage | undefined {
  const body = asRecord(payload);
  const id = str(body?.id);
  const text = str(body?.text);
  if (!body || !id || text === undefined) return undefined;
  return {
    id,
    room: str(body.room) ?? '',
    text,
    user: str(body.user) ?? str(body.userId) ?? 'unknown',
    time: timeOf(body.time, fallbackTimeMs),
    status: 'sent',
    ...(str(body.clientMsgId) ? { clientMsgId: str(body.clientMsgId) } : {}),
  };
}

/**
 * Adds a message, or replaces the one with the same id (or the own pending one with the same clientMsgId).
 * Keeps the list in time order and at most `max` long. Returns the same array when nothing changed.
 */
export function upsertMessage(list: readonly ChatMessage[], message: ChatMessage, max = 500): ChatMessage[] {
  const index = list.findIndex(
    (m) =>
      m.id === message.id || (message.clientMsgId !== undefined && m.clientMsgId === message.clientMsgId),
  );
  if (index >= 0) {
    const current = list[index]!;
    if (current.status === 'sent' && message.status === 'sent' && current.text === message.text) {
      return list as ChatMessage[];
    }
    const next = list.slice();
    next[index] = { ...current, ...message, time: current.status === 'sent' ? current.time : message.time };
    return next;
  }
  const next = [...list, message];
  // Insert in time order; messages usually arrive in order, so this is a short walk from the end.
  for (let i = next.length - 1; i > 0 && next[i - 1]!.time > next[i]!.time; i--) {
    [next[i - 1], next[i]] = [next[i]!, next[i - 1]!];
  }
  return next.length > max ? next.slice(next.length - max) : next;
}

export function hasMessage(list: readonly ChatMessage[], id: string): boolean {
  return list.some((m) => m.id === id);
}

export function editMessage(list: readonly ChatMessage[], id: string, text: string): ChatMessage[] {
  return list.map((m) => (m.id === id ? { ...m, text, edited: true } : m));
}

export function deleteMessage(list: readonly ChatMessage[], id: string): ChatMessage[] {
  return list.filter((m) => m.id !== id);
}

/** The own message `local:<clientMsgId>` confirmed as `id`. */
export function confirmMessage(list: readonly ChatMessage[], clientMsgId: string, id: string): ChatMessage[] {
  const confirmed = list.map((m) =>
    m.clientMsgId === clientMsgId && m.status !== 'sent' ? { ...m, id, status: 'sent' as const } : m,
  );
  // If the message also came back on the channel (e.g. from another tab), keep one copy.
  const seen = new Set<string>();
  return confirmed.filter((m) => {
    if (seen.has(m.id)) return false;
    seen.add(m.id);
    return true;
  });
}

export function failMessage(list: readonly ChatMessage[], clientMsgId: string): ChatMessage[] {
  return list.map((m) =>
    m.clientMsgId === clientMsgId && m.status === 'pending' ? { ...m, status: 'failed' as const } : m,
  );
}

// ------------------------------------------------------------------ typing

export function typingUsers(typing: Readonly<Record<string, number>>, nowMs: number): string[] {
  return Object.entries(typing)
    .filter(([, until]) => until > nowMs)
    .map(([user]) => user)
    .sort();
}

export function typingText(users: readonly string[]): string {
  if (users.length === 0) return '';
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}

// ------------------------------------------------------------------ presence

export function presenceFromList(
  clients: readonly { userId: string; connectionId: string }[],
): PresenceMember[] {
  let members: PresenceMember[] = [];
  for (const c of clients) members = presenceJoin(members, c.userId, c.connectionId);
  return members;
}

export function presenceJoin(
  members: readonly PresenceMember[],
  userId: string,
  connectionId: string,
): PresenceMember[] {
  if (!userId) return members as PresenceMember[];
  const existing = members.find((m) => m.userId === userId);
  if (existing) {
    if (existing.connections.includes(connectionId)) return members as PresenceMember[];
    return members.map((m) => (m === existing ? { ...m, connections: [...m.connections, connectionId] } : m));
  }
  return [...members, { userId, connections: [connectionId] }].sort((a, b) =>
    a.userId.localeCompare(b.userId),
  );
}

/** Removes one connection; the user leaves the list with their last connection. */
export function presenceLeave(
  members: readonly PresenceMember[],
  userId: string,
  connectionId: string,
): PresenceMember[] {
  const next: PresenceMember[] = [];
  for (const m of members) {
    if (m.userId !== userId) next.push(m);
    else {
      const connections = connectionId ? m.connections.filter((c) => c !== connectionId) : [];
      if (connections.length > 0) next.push({ ...m, connections });
    }
  }
  return next;
}

// ------------------------------------------------------------------ notifications

const ORDER_TITLES: Record<string, string> = {
  'order.created': 'Order placed',
  'order.paid': 'Payment received',
  'order.shipped': 'Order shipped',
  'order.delivered': 'Order delivered',
  'order.cancelled': 'Order cancelled',
};

export function parseNotice(
  push: { id: string; type: string; timeMs: number; requiresAck: boolean },
  payload: unknown,
  nowMs: number,
): Notice {
  const body = asRecord(payload);
  const orderId = str(body?.orderId);
  const fallbackTitle = ORDER_TITLES[push.type] ?? push.type;
  return {
    id: push.id,
    type: push.type,
    title: str(body?.title) ?? fallbackTitle,
    body: str(body?.body) ?? (orderId ? `Order ${orderId}` : ''),
    ...(orderId ? { orderId } : {}),
    timeMs: push.timeMs > 0 ? push.timeMs : nowMs,
    requiresAck: push.requiresAck,
    read: false,
  };
}

/** Newest first; a redelivered id is ignored. */
export function addNotice(list: readonly Notice[], notice: Notice, max = 100): Notice[] {
  if (list.some((n) => n.id === notice.id)) return list as Notice[];
  return [notice, ...list].sort((a, b) => b.timeMs - a.timeMs).slice(0, max);
}

export function markNoticeRead(list: readonly Notice[], id: string): Notice[] {
  return list.map((n) => (n.id === id ? { ...n, read: true } : n));
}

export function unreadCount(list: readonly Notice[]): number {
  return list.reduce((count, n) => count + (n.read ? 0 : 1), 0);
}

// ------------------------------------------------------------------ health and rooms

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `/stats.json` read leniently: unknown node shapes become a readable line. */
export function parseHealth(value: unknown): Health {
  const body = asRecord(value) ?? {};
  const nodes = Array.isArray(body.nodes) ? body.nodes : [];
  const health: Health = {
    nodes: nodes.map((node, i): HealthNode => {
      if (typeof node === 'string') return { id: node, detail: '' };
      const record = asRecord(node) ?? {};
      const id = str(record.id) ?? str(record.nodeId) ?? str(record.name) ?? `node ${i + 1}`;
      const parts: string[] = [];
      const connections = num(record.connections);
      if (connections !== undefined) parts.push(`${connections} conn.`);
      const rate = num(record.messagesPerSecond);
      if (rate !== undefined) parts.push(`${formatRate(rate)} msg/s`);
      const status =
        str(record.status) ??
        (typeof record.ready === 'boolean' ? (record.ready ? 'ready' : 'not ready') : undefined);
      if (status) parts.push(status);
      return { id, detail: parts.join(' · ') };
    }),
  };
  const connections = num(body.connections);
  if (connections !== undefined) health.connections = connections;
  const rate = num(body.messagesPerSecond);
  if (rate !== undefined) health.messagesPerSecond = rate;
  return health;
}

export function formatRate(rate: number): string {
  return rate >= 100 ? Math.round(rate).toString() : rate.toFixed(1);
}

/** The `chat.rooms` reply: a list of names, of {room|name|id}, or an object holding such a list. */
export function parseRooms(value: unknown): string[] {
  const record = asRecord(value);
  const list = Array.isArray(value) ? value : Array.isArray(record?.rooms) ? (record.rooms as unknown[]) : [];
  const names = list
    .map((item) => {
      if (typeof item === 'string') return item;
      const r = asRecord(item);
      return str(r?.room) ?? str(r?.name) ?? str(r?.id);
    })
    .filter((name): name is string => typeof name === 'string' && ROOM_PATTERN.test(name));
  return [...new Set(names)].sort();
}
