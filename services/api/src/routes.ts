/**
 * The `/v1` routes. Each publish answers 202 only once the broker has accepted the message (the publisher's
 * promise); a BusError becomes a 503 with its `SB_ERR_BUS_*` code in the server. Presence and history ask
 * the services over the bus (see query.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Transport } from '@switchboard/bus';
import {
  encodeOrderEvent,
  HistoryTypes,
  PresenceTypes,
  ServiceNames,
  switchboard,
} from '@switchboard/protocol';
import type { Payload, Publisher } from '@switchboard/publisher';
import { nodesJson } from './admin-nodes.js';
import { readJsonObject } from './body.js';
import type { BusQuerier } from './query.js';
import { historyJson, presenceJson } from './results.js';
import {
  channelName,
  connectionId,
  data,
  messageType,
  onlyFields,
  optionalBoolean,
  optionalConnection,
  optionalReason,
  orderEvent,
  type PublishItem,
  pathParam,
  publishBatch,
  publishItem,
  queryInteger,
  userId,
} from './validate.js';

export const MAX_HISTORY_LIMIT = 1000;

/** Work topic the notifications service consumes order events from (key = user id). */
export const ORDERS_TOPIC = ServiceNames.orders;

export interface RouteContext {
  readonly transport: Transport;
  readonly publisher: Publisher;
  readonly querier: BusQuerier;
  readonly maxBodyBytes: number;
}

export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
}

export interface RouteRequest {
  readonly req: IncomingMessage;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The W3C traceparent the request's envelopes carry (request-trace.ts). */
  readonly traceparent: string;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  /** OpenAPI path template, also the `route` label of metrics. */
  readonly path: string;
  readonly pattern: RegExp;
  handle(ctx: RouteContext, request: RouteRequest): Promise<RouteResult>;
}

const SEGMENT = '([^/]+)';
const pattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, SEGMENT)}$`);
const route = (method: Route['method'], path: string, handle: Route['handle']): Route => ({
  method,
  path,
  pattern: pattern(path),
  handle,
});

const accepted = (body: unknown = { status: 'accepted' }): RouteResult => ({ status: 202, body });

const body = (ctx: RouteContext, request: RouteRequest, optional = false) =>
  readJsonObject(request.req, ctx.maxBodyBytes, optional);

function publish(ctx: RouteContext, request: RouteRequest, item: PublishItem): Promise<void> {
  return ctx.publisher.toChannel(item.channel, item.type, item.data as Payload, {
    traceId: request.traceparent,
    ...(item.durable !== undefined ? { durable: item.durable } : {}),
    ...(item.except !== undefined ? { except: item.except } : {}),
  });
}

async function disconnectBody(ctx: RouteContext, request: RouteRequest) {
  const b = await body(ctx, request, true);
  onlyFields(b, ['reason', 'reconnect']);
  const reason = optionalReason(b.reason);
  const reconnect = optionalBoolean(b.reconnect, 'reconnect');
  return {
    traceId: request.traceparent,
    ...(reason !== undefined ? { reason } : {}),
    ...(reconnect !== undefined ? { reconnect } : {}),
  };
}

export const routes: readonly Route[] = [
  route('POST', '/v1/publish', async (ctx, request) => {
    const item = publishItem(await body(ctx, request));
    await publish(ctx, request, item);
    return accepted();
  }),

  // Validation is all-or-nothing (one bad item: 400 naming it, nothing published); publishing is per item:
  // 202 when the broker accepted every item, 207 with each item's outcome otherwise.
  route('POST', '/v1/publish/batch', async (ctx, request) => {
    const items = publishBatch(await body(ctx, request));
    const outcomes = await Promise.allSettled(items.map((item) => publish(ctx, request, item)));
    const results = outcomes.map((outcome, index) =>
      outcome.status === 'fulfilled'
        ? { index, status: 'accepted' }
        : { index, status: 'failed', error: errorOf(outcome.reason) },
    );
    const failed = results.filter((r) => r.status === 'failed').length;
    return { status: failed === 0 ? 202 : 207, body: { accepted: items.length - failed, failed, results } };
  }),

  route('POST', '/v1/broadcast', async (ctx, request) => {
    const b = await body(ctx, request);
    onlyFields(b, ['type', 'data', 'except']);
    const except = optionalConnection(b.except, 'except');
    const id = await ctx.publisher.toAll(messageType(b.type), data(b.data) as Payload, {
      traceId: request.traceparent,
      ...(except !== undefined ? { except } : {}),
    });
    return accepted({ id });
  }),

  route('POST', '/v1/users/{id}/notify', async (ctx, request) => {
    const user = userId(pathParam(request.params[0] ?? '', 'id'), 'id');
    const b = await body(ctx, request);
    onlyFields(b, ['type', 'data', 'requiresAck', 'except']);
    const type = messageType(b.type);
    const payload = data(b.data) as Payload;
    const requiresAck = optionalBoolean(b.requiresAck, 'requiresAck');
    const except = optionalConnection(b.except, 'except');
    const id = await ctx.publisher.toUser(user, type, payload, {
      traceId: request.traceparent,
      ...(requiresAck !== undefined ? { requiresAck } : {}),
      ...(except !== undefined ? { except } : {}),
    });
    return accepted({ id });
  }),

  // For order systems that do not speak the broker: the event goes to the `orders` work topic exactly as a
  // broker-connected order system would publish it (keyed by user, so one user's events stay in order).
  route('POST', '/v1/orders/events', async (ctx, request) => {
    const event = orderEvent(await body(ctx, request));
    await ctx.transport.publishWork(ORDERS_TOPIC, event.userId, encodeOrderEvent(event));
    return accepted({ eventId: event.eventId });
  }),

  route('POST', '/v1/connections/{id}/disconnect', async (ctx, request) => {
    const connection = connectionId(pathParam(request.params[0] ?? '', 'id'), 'id');
    await ctx.publisher.disconnect({ connection }, await disconnectBody(ctx, request));
    return accepted();
  }),

  route('POST', '/v1/users/{id}/disconnect', async (ctx, request) => {
    const user = userId(pathParam(request.params[0] ?? '', 'id'), 'id');
    await ctx.publisher.disconnect({ user }, await disconnectBody(ctx, request));
    return accepted();
  }),

  route('GET', '/v1/presence/{channel}', async (ctx, request) => {
    const channel = channelName(pathParam(request.params[0] ?? '', 'channel'));
    const answer = await ctx.querier.query({
      service: ServiceNames.presence,
      type: PresenceTypes.query,
      key: channel,
      payload: switchboard.v1.PresenceRequest.encode({ channel }).finish(),
      traceparent: request.traceparent,
    });
    return { status: 200, body: presenceJson(answer) };
  }),

  // The admin view's node list. Internal to the presence service (not client-callable); any key will do,
  // a fixed one keeps every such query on one partition.
  route('GET', '/v1/admin/nodes', async (ctx, request) => {
    const answer = await ctx.querier.query({
      service: ServiceNames.presence,
      type: PresenceTypes.nodes,
      key: PresenceTypes.nodes,
      payload: new Uint8Array(0),
      traceparent: request.traceparent,
    });
    return { status: 200, body: nodesJson(answer) };
  }),

  route('GET', '/v1/history/{channel}', async (ctx, request) => {
    const channel = channelName(pathParam(request.params[0] ?? '', 'channel'));
    const limit = queryInteger(request.query, 'limit', 1, MAX_HISTORY_LIMIT) ?? 0;
    const beforeOffset = queryInteger(request.query, 'before', 1, Number.MAX_SAFE_INTEGER) ?? 0;
    const answer = await ctx.querier.query({
      service: ServiceNames.history,
      type: HistoryTypes.query,
      key: channel,
      payload: switchboard.v1.HistoryRequest.encode({ channel, limit, beforeOffset }).finish(),
      traceparent: request.traceparent,
    });
    return { status: 200, body: historyJson(answer) };
  }),
];

/** The `error` object of a failed batch item. */
export function errorOf(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'SB_ERR_INTERNAL',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}

/** The route matching `method` and `path`, or which methods the path allows. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: string[] } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const r of routes) {
    const match = r.pattern.exec(path);
    if (!match) continue;
    if (r.method === method) return { route: r, params: match.slice(1) };
    allowed.push(r.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}
