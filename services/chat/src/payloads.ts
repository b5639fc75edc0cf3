/**
 * Client payloads of the chat message types (UTF-8 JSON, decoded by the service kit) and their checks.
 * Each parser returns the typed value or a human-readable problem, which the service sends back as a
 * BadRequest reply naming the field.
 */

/** Room names are the local part of the channel `chat:<room>`. */
export const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;
const MAX_CLIENT_MSG_ID = 100;
const MAX_USER_ID = 200;

export interface RoomPayload {
  readonly room: string;
}
export interface SendPayload {
  readonly room: string;
  readonly text: string;
  readonly clientMsgId?: string;
}
export interface EditPayload {
  readonly id: string;
  readonly text: string;
}
export interface IdPayload {
  readonly id: string;
}
export interface PrivatePayload {
  readonly to: string;
  readonly text: string;
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (problem: string): Parsed<never> => ({ ok: false, problem });

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function room(body: Record<string, unknown>): Parsed<string> {
  const value = body.room;
  if (typeof value !== 'string' || !ROOM_PATTERN.test(value))
    return bad(`"room" must be a string matching ${ROOM_PATTERN}`);
  // `chat:private-…` needs a subscription token to read: a chat request (which any signed-in user may send)
  // must not be a way to write into it.
  if (value.startsWith('private-')) return bad('"room" must not start with "private-" (a private channel)');
  return ok(value);
}

/** Trims; rejects empty and over-long text (length in UTF-16 code units after trimming). */
export function checkText(value: unknown, maxLength: number): Parsed<string> {
  if (typeof value !== 'string') return bad('"text" must be a string');
  const text = value.trim();
  if (text.length === 0) return bad('"text" must not be empty');
  if (text.length > maxLength) return bad(`"text" is longer than ${maxLength} characters`);
  return ok(text);
}

function messageIdField(body: Record<string, unknown>): Parsed<string> {
  const id = body.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200)
    return bad('"id" must be a message id string');
  return ok(id);
}

export function parseRoom(value: unknown): Parsed<RoomPayload> {
  const body = object(value);
  if (!body) return bad('payload must be a JSON object');
  const r = room(body);
  return r.ok ? ok({ room: r.value }) : r;
}

export function parseSend(value: unknown, maxLength: number): Parsed<SendPayload> {
  const body = object(value);
  if (!body) return bad('payload must be a JSON object');
  const r = room(body);
  if (!r.ok) return r;
  const text = checkText(body.text, maxLength);
  if (!text.ok) return text;
  const clientMsgId = body.clientMsgId;
  if (
    clientMsgId !== undefined &&
    (typeof clientMsgId !== 'string' || clientMsgId.length === 0 || clientMsgId.length > MAX_CLIENT_MSG_ID)
  )
    return bad(`"clientMsgId" must be a string of 1–${MAX_CLIENT_MSG_ID} characters`);
  return ok(
    clientMsgId === undefined
      ? { room: r.value, text: text.value }
      : { room: r.value, text: text.value, clientMsgId },
  );
}

export function parseEdit(value: unknown, maxLength: number): Parsed<EditPayload> {
  const body = object(value);
  if (!body) return bad('payload must be a JSON object');
  const id = messageIdField(body);
  if (!id.ok) return id;
  const text = checkText(body.text, maxLength);
  return text.ok ? ok({ id: id.value, text: text.value }) : text;
}

export function parseId(value: unknown): Parsed<IdPayload> {
  const body = object(value);
  if (!body) return bad('payload must be a JSON object');
  const id = messageIdField(body);
  return id.ok ? ok({ id: id.value }) : id;
}

export function parsePrivate(value: unknown, maxLength: number): Parsed<PrivatePayload> {
  const body = object(value);
  if (!body) return bad('payload must be a JSON object');
  const to = body.to;
  if (typeof to !== 'string' || to.length === 0 || to.length > MAX_USER_ID)
    return bad(`"to" must be a user id of 1–${MAX_USER_ID} characters`);
  const text = checkText(body.text, maxLength);
  return text.ok ? ok({ to, text: text.value }) : text;
}

export interface RoomsPayload {
  /** Rooms in the answer (most recently active first). */
  readonly limit: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `chat.rooms` takes an optional JSON object `{limit}` (an integer 1…maxLimit; default maxLimit). An empty
 * payload is `{}`: the request existed before it had a body.
 */
export function parseRoomsRequest(bytes: Uint8Array, maxLimit: number): Parsed<RoomsPayload> {
  if (bytes.byteLength === 0) return ok({ limit: maxLimit });
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return bad('payload must be a JSON object');
  }
  const body = object(value);
  if (!body) return bad('payload must be a JSON object');
  const limit = body.limit;
  if (limit === undefined) return ok({ limit: maxLimit });
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    return bad(`"limit" must be an integer from 1 to ${maxLimit}`);
  return ok({ limit });
}
