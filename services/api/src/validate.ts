/**
 * Request validation. Every check throws a 400 naming the offending field (with its path inside a batch,
 * e.g. `items[2].channel`), so a client can fix the exact field. Unknown fields are refused too: a typo
 * such as `requireAck` would otherwise be silently ignored.
 */
import { parseChannel } from '@switchboard/protocol';
import { nodeOfConnection } from '@switchboard/publisher';
import { badField } from './errors.js';

export const MAX_CHANNEL = 255;
export const MAX_TYPE = 200;
export const MAX_ID = 255;
/** WebSocket close reasons are at most 123 bytes. */
export const MAX_REASON_BYTES = 123;
export const MAX_BATCH = 100;

type Body = Record<string, unknown>;

const at = (prefix: string, field: string) => (prefix ? `${prefix}.${field}` : field);

export function onlyFields(body: Body, allowed: readonly string[], prefix = ''): void {
  for (const key of Object.keys(body))
    if (!allowed.includes(key))
      throw badField(at(prefix, key), `unknown field; allowed: ${allowed.join(', ')}`);
}

export function boundedString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw badField(field, `must be a string of 1..${max} characters`);
  return value;
}

export function channelName(value: unknown, field = 'channel'): string {
  const name = boundedString(value, field, MAX_CHANNEL);
  try {
    parseChannel(name);
  } catch (error) {
    throw badField(field, (error as Error).message);
  }
  return name;
}

export function messageType(value: unknown, field = 'type'): string {
  return boundedString(value, field, MAX_TYPE);
}

export function userId(value: unknown, field = 'user'): string {
  return boundedString(value, field, MAX_ID);
}

export function connectionId(value: unknown, field = 'connection'): string {
  const id = boundedString(value, field, MAX_ID);
  try {
    nodeOfConnection(id);
  } catch {
    throw badField(field, 'must be a connection id <node>.<random> as given to the client');
  }
  return id;
}

/** `data`: any JSON value. Strings travel as UTF-8 text, every other value as JSON. */
export function data(value: unknown, field = 'data'): unknown {
  if (value === undefined) throw badField(field, 'is required (any JSON value)');
  return value;
}

export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw badField(field, 'must be true or false');
  return value;
}

export function optionalConnection(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : connectionId(value, field);
}

export function optionalReason(value: unknown, field = 'reason'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || Buffer.byteLength(value, 'utf8') > MAX_REASON_BYTES)
    throw badField(field, `must be a string of at most ${MAX_REASON_BYTES} UTF-8 bytes`);
  return value;
}

/** A query-string integer in [min, max]; undefined when absent. */
export function queryInteger(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw badField(name, `must be an integer between ${min} and ${max}`);
  return value;
}

/** A path segment, percent-decoded. */
export function pathParam(raw: string, field: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badField(field, 'is not valid percent-encoding');
  }
}

export interface PublishItem {
  readonly channel: string;
  readonly type: string;
  readonly data: unknown;
  readonly durable: boolean | undefined;
  readonly except: string | undefined;
}

export function publishItem(body: unknown, prefix = ''): PublishItem {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badField(prefix || 'body', 'must be a JSON object');
  const item = body as Body;
  onlyFields(item, ['channel', 'type', 'data', 'durable', 'except'], prefix);
  return {
    channel: channelName(item.channel, at(prefix, 'channel')),
    type: messageType(item.type, at(prefix, 'type')),
    data: data(item.data, at(prefix, 'data')),
    durable: optionalBoolean(item.durable, at(prefix, 'durable')),
    except: optionalConnection(item.except, at(prefix, 'except')),
  };
}

export function publishBatch(body: Body): PublishItem[] {
  onlyFields(body, ['items']);
  const { items } = body;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH)
    throw badField('items', `must be an array of 1..${MAX_BATCH} publications`);
  return items.map((item, i) => publishItem(item, `items[${i}]`));
}

export const ORDER_KINDS = ['created', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** `{eventId?, orderId, userId, kind, details?}` -> an OrderEvent; a missing event id gets a fresh one. */
export function orderEvent(body: Body) {
  onlyFields(body, ['eventId', 'orderId', 'userId', 'kind', 'details']);
  const eventId =
    body.eventId === undefined ? crypto.randomUUID() : boundedString(body.eventId, 'eventId', MAX_ID);
  const orderId = boundedString(body.orderId, 'orderId', MAX_ID);
  const user = userId(body.userId, 'userId');
  if (typeof body.kind !== 'string' || !(ORDER_KINDS as readonly string[]).includes(body.kind))
    throw badField('kind', `must be one of ${ORDER_KINDS.join(', ')}`);
  const details = body.details ?? {};
  if (details === null || typeof details !== 'object' || Array.isArray(details))
    throw badField('details', 'must be an object with the fields of the order event kind');
  const problem = verifyDetails(body.kind as OrderKind, details as Body);
  if (problem) throw badField(`details.${problem.field}`, problem.message);
  return { eventId, orderId, userId: user, timeMs: Date.now(), [body.kind]: details };
}

const DETAIL_FIELDS: Record<OrderKind, Record<string, 'string' | 'integer'>> = {
  created: { totalCents: 'integer', currency: 'string', items: 'integer' },
  paid: { amountCents: 'integer', currency: 'string', method: 'string' },
  shipped: { carrier: 'string', trackingNumber: 'string' },
  delivered: { signedBy: 'string' },
  cancelled: { reason: 'string' },
};

function verifyDetails(kind: OrderKind, details: Body): { field: string; message: string } | undefined {
  const fields = DETAIL_FIELDS[kind];
  for (const [field, value] of Object.entries(details)) {
    const expected = fields[field];
    if (!expected) return { field, message: `unknown field; allowed: ${Object.keys(fields).join(', ')}` };
    if (expected === 'string' && (typeof value !== 'string' || value.length > MAX_ID))
      return { field, message: `must be a string of at most ${MAX_ID} characters` };
    if (expected === 'integer' && (!Number.isSafeInteger(value) || (value as number) < 0))
      return { field, message: 'must be a non-negative integer' };
  }
  return undefined;
}
