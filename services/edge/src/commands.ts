/**
 * Commands of a connected client. Channel rules are checked here; everything with business meaning
 * (send, ack, history, presence, recovery) is relayed to a service.
 */
import { BusError, BusNameError } from '@switchboard/bus';
import {
  type ClientFrame,
  ErrorCodes,
  type ErrorSpec,
  HistoryTypes,
  NotificationTypes,
  PresenceTypes,
  parseChannel,
  ServiceNames,
  switchboard,
} from '@switchboard/protocol';
import { AuthError, type Authenticator } from './auth.js';
import type { ClientCallable } from './client-callable.js';
import type { Connection } from './connection.js';
import { disconnectForError } from './disconnects.js';
import type { Lifecycle } from './lifecycle.js';
import type { LocalIndex } from './local-index.js';
import type { EdgeMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { type AnswerBody, type Relay, type RelayRequest, TooManyPendingError } from './relay.js';

const v1 = switchboard.v1;

export interface CommandContext {
  readonly options: ResolvedOptions;
  readonly auth: Authenticator;
  readonly index: LocalIndex;
  readonly relay: Relay;
  /** Which `service`/`type` pairs a client's Send may reach. */
  readonly callable: ClientCallable;
  readonly lifecycle: Lifecycle;
  readonly metrics: EdgeMetrics;
}

export function errorFrame(id: number, spec: ErrorSpec, detail?: string) {
  return {
    id,
    error: {
      code: spec.wire,
      message: detail ? withPrefix(spec.message, detail) : spec.message,
      temporary: spec.temporary,
    },
  };
}

/** Details that come from a SwitchboardError already start with the spec's message: say it once. */
function withPrefix(message: string, detail: string): string {
  return detail.startsWith(message) ? detail : `${message}: ${detail}`;
}

export async function handleCommand(ctx: CommandContext, c: Connection, frame: ClientFrame): Promise<void> {
  const id = frame.id;
  switch (frame.kind) {
    case 'connect':
      c.send(errorFrame(id, ErrorCodes.BadRequest, 'already connected'));
      return;
    case 'subscribe':
      return subscribe(ctx, c, id, frame.subscribe!);
    case 'unsubscribe': {
      const channel = (frame.unsubscribe as switchboard.v1.Unsubscribe).channel;
      if (!c.hasChannel(channel)) {
        c.send(errorFrame(id, ErrorCodes.NotSubscribed, channel));
        return;
      }
      await ctx.index.unsubscribe(c, channel);
      ctx.metrics.subscriptions.dec();
      ctx.lifecycle.unsubscribed(c, channel);
      c.send({ id, unsubscribed: { channel } });
      return;
    }
    case 'send': {
      const send = frame.send as switchboard.v1.Send;
      const requestId = send.requestId;
      if (!ctx.callable.allows(send.service, send.type)) {
        // Refused before anything is published; counted, not logged: a client could flood the log otherwise.
        ctx.metrics.relayed.inc({ result: 'not_callable' });
        const error = errorFrame(0, ErrorCodes.NotCallable, `${send.service}/${send.type}`).error;
        return void c.send(requestId ? { id, reply: { requestId, error } } : { id, error });
      }
      return relay(ctx, c, id, {
        service: send.service,
        type: send.type,
        payload: send.payload,
        key: send.key,
        origin: 'client',
        ...(requestId
          ? {
              expect: { kind: 'reply', requestId },
              onTimeout: () => ({ reply: { requestId, error: errorFrame(0, ErrorCodes.Timeout).error } }),
            }
          : {}),
      });
    }
    case 'ack':
      return relay(ctx, c, id, {
        service: ServiceNames.notifications,
        type: NotificationTypes.ack,
        payload: v1.Ack.encode(frame.ack!).finish(),
        key: c.userId || c.id,
        origin: 'edge',
      });
    case 'ping':
      c.send({ id, pong: { timeMs: Date.now() } });
      return;
    case 'history': {
      const request = frame.history as switchboard.v1.HistoryRequest;
      const payload = v1.HistoryRequest.encode(request).finish();
      return channelQuery(
        ctx,
        c,
        id,
        request.channel,
        ServiceNames.history,
        HistoryTypes.query,
        payload,
        'history',
      );
    }
    case 'presence': {
      const request = frame.presence as switchboard.v1.PresenceRequest;
      const payload = v1.PresenceRequest.encode(request).finish();
      return channelQuery(
        ctx,
        c,
        id,
        request.channel,
        ServiceNames.presence,
        PresenceTypes.query,
        payload,
        'presence',
      );
    }
    case 'refresh':
      return refresh(ctx, c, id, (frame.refresh as switchboard.v1.RefreshToken).token);
    default:
      c.send(errorFrame(id, ErrorCodes.BadRequest, 'unknown command'));
  }
}

async function subscribe(
  ctx: CommandContext,
  c: Connection,
  id: number,
  sub: switchboard.v1.ISubscribe,
): Promise<void> {
  const channelName = sub.channel ?? '';
  let channel: ReturnType<typeof parseChannel>;
  try {
    channel = parseChannel(channelName);
  } catch (error) {
    c.send(errorFrame(id, ErrorCodes.BadChannel, (error as Error).message));
    return;
  }
  const durable = ctx.options.durableNamespaces.includes(channel.namespace);
  if (c.hasChannel(channel.name)) {
    // A re-sync (after Unsubscribed 2500, see UnsubscribeCode): recovery only, the subscription stands.
    if (durable && sub.since)
      return withinRequestTimeout(ctx, recoverDurable(ctx, c, id, channel.name, sub.since));
    return void c.send(errorFrame(id, ErrorCodes.AlreadySubscribed, channel.name));
  }
  if (c.channelCount >= ctx.options.limits.maxSubscriptions)
    return void c.send(
      errorFrame(id, ErrorCodes.TooManySubscriptions, String(ctx.options.limits.maxSubscriptions)),
    );
  if (channel.kind === 'user' && (!c.userId || channel.owner !== c.userId)) {
    ctx.metrics.authFailures.inc({ reason: 'user_channel' });
    return void c.send(
      errorFrame(id, ErrorCodes.PermissionDenied, `${channel.name} belongs to another user`),
    );
  }
  if (channel.kind === 'private') {
    if (!sub.token) {
      ctx.metrics.authFailures.inc({ reason: 'no_subscription_token' });
      return void c.send(
        errorFrame(id, ErrorCodes.PermissionDenied, 'private channel needs a subscription token'),
      );
    }
    try {
      await ctx.auth.verifySubscription(sub.token, c.userId, channel.name);
    } catch (error) {
      ctx.metrics.authFailures.inc({ reason: 'subscription_token' });
      const spec = error instanceof AuthError ? error.spec : ErrorCodes.PermissionDenied;
      return void c.send(errorFrame(id, spec, error instanceof AuthError ? error.reason : undefined));
    }
  }
  if (!c.open || c.hasChannel(channel.name)) return;
  await ctx.index.subscribe(c, channel.name);
  ctx.metrics.subscriptions.inc();
  ctx.lifecycle.subscribed(c, channel.name);
  if (durable)
    return withinRequestTimeout(ctx, recoverDurable(ctx, c, id, channel.name, sub.since ?? undefined));
  c.sendNow({ id, subscribed: { channel: channel.name, durable } });
}

/**
 * The answer to a durable subscribe, from the history service: the stream top `position` and, with `since`,
 * the recovery. The caller has subscribed locally first (no gap for live publications), so the client always
 * gets a position to resume from, even before its first publication.
 *
 * When history stays silent or cannot be reached, a fresh subscribe is answered Subscribed without a position
 * (nothing was there to recover: the first publication starts the client's stream). A resume (`since`) is
 * answered a temporary error instead (140 Timeout / 141 Unavailable) and the subscription stands: the client
 * subscribes again with the same `since` after a backoff, holding what arrives meanwhile. Answering
 * `recovered: false` there would tell the client its gap is lost for good when history still has every
 * message — seen in the Kafka outage drill (issue 18), where history answered only ~45 s after the broker
 * returned and every resume in between was reported lost.
 */
async function recoverDurable(
  ctx: CommandContext,
  c: Connection,
  id: number,
  name: string,
  since: switchboard.v1.IStreamPosition | undefined,
): Promise<void> {
  const wasRecovering = Boolean(since);
  const retryLater = 'subscribe again with the same since (the subscription stands)';
  const unrecovered = () =>
    wasRecovering
      ? errorFrame(id, ErrorCodes.Timeout, `history did not answer: ${retryLater}`)
      : { id, subscribed: { channel: name, durable: true, recovered: false, wasRecovering } };
  try {
    await ctx.relay.publish(c, {
      service: ServiceNames.history,
      type: HistoryTypes.recover,
      payload: v1.Subscribe.encode({ channel: name, ...(since ? { since } : {}) }).finish(),
      key: name,
      origin: 'edge',
      expect: { kind: 'frame', frameId: id, bodies: ['subscribed'] },
      onTimeout: unrecovered,
    });
    ctx.metrics.relayed.inc({ result: 'ok' });
  } catch (error) {
    // The subscription itself stands (live publications flow); only the position/recovery is missing.
    ctx.metrics.relayed.inc({ result: 'failed' });
    c.log.warn({ err: error, service: ServiceNames.history }, 'relay failed');
    c.send(
      wasRecovering
        ? errorFrame(id, ErrorCodes.Unavailable, `history unreachable: ${retryLater}`)
        : unrecovered(),
    );
  }
}

/** History and presence queries: only for a channel the connection is subscribed to; a timeout answers an error. */
function channelQuery(
  ctx: CommandContext,
  c: Connection,
  id: number,
  channel: string,
  service: string,
  type: string,
  payload: Uint8Array,
  answer: AnswerBody,
): Promise<void> | undefined {
  if (!c.hasChannel(channel)) return void c.send(errorFrame(id, ErrorCodes.NotSubscribed, channel));
  return relay(ctx, c, id, {
    service,
    type,
    payload,
    key: channel,
    origin: 'edge',
    expect: { kind: 'frame', frameId: id, bodies: [answer] },
    onTimeout: () => errorFrame(id, ErrorCodes.Timeout),
  });
}

/**
 * Publishes a relayed command. The connection's next command waits for this publish (commands run one after
 * another per connection: their publishes reach the bus in the order the client sent them, and the broker
 * paces a client that sends faster than it confirms) — but no longer than `requestTimeoutMs`, the time a
 * request may take to be answered. A confirm the broker holds back (a quorum queue between leaders during
 * a rolling restart, seen for tens of seconds) must not hold up the connection's later requests and pings:
 * the request that waits was answered SB_ERR_TIMEOUT by then, and the next one, otherwise not even read,
 * would get no answer at all before the client gave up (issue 16, drill 4). The publish goes on: its
 * outcome is counted, and a failure still answers the command (a late one is ignored by the client).
 */
function relay(ctx: CommandContext, c: Connection, id: number, request: RelayRequest): Promise<void> {
  return withinRequestTimeout(ctx, relayOutcome(ctx, c, id, request));
}

async function relayOutcome(
  ctx: CommandContext,
  c: Connection,
  id: number,
  request: RelayRequest,
): Promise<void> {
  try {
    await ctx.relay.publish(c, request);
    ctx.metrics.relayed.inc({ result: 'ok' });
  } catch (error) {
    let spec: ErrorSpec = ErrorCodes.Unavailable;
    if (error instanceof TooManyPendingError) {
      ctx.metrics.relayed.inc({ result: 'too_many_pending' });
      spec = ErrorCodes.TooManyPending;
    } else {
      ctx.metrics.relayed.inc({ result: 'failed' });
      if (error instanceof BusNameError) spec = ErrorCodes.BadRequest;
      // A bus outage is the operator's concern (one line, no stack per client); anything else is a bug.
      else if (error instanceof BusError)
        c.log.warn({ service: request.service, error: (error as Error).message }, 'relay failed');
      else c.log.warn({ err: error, service: request.service }, 'relay failed');
    }
    const detail = spec === ErrorCodes.TooManyPending ? undefined : request.service;
    if (request.expect?.kind === 'reply')
      c.send({
        id,
        reply: { requestId: request.expect.requestId, error: errorFrame(0, spec, detail).error },
      });
    else c.send(errorFrame(id, spec, detail));
  }
}

/**
 * The bound of every command that waits on the bus (a relayed request, a durable subscribe's recovery): the
 * connection's next command waits for `work` at most `requestTimeoutMs` (see relay above); `work` goes on
 * and must not reject.
 */
function withinRequestTimeout(ctx: CommandContext, work: Promise<void>): Promise<void> {
  return settledWithin(work, ctx.options.requestTimeoutMs);
}

/** Resolves when `work` settles or after `ms`, whichever comes first; `work` must not reject. */
function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, elapsed]).finally(() => clearTimeout(timer));
}

async function refresh(ctx: CommandContext, c: Connection, id: number, token: string): Promise<void> {
  try {
    const identity = await ctx.auth.verifyConnection(token);
    if (identity.userId !== c.userId)
      return void c.send(errorFrame(id, ErrorCodes.PermissionDenied, 'token is for another user'));
    c.expiresAtMs = identity.expiresAtMs;
    c.send({
      id,
      connected: {
        connectionId: c.id,
        userId: c.userId,
        pingIntervalMs: ctx.options.pingIntervalMs,
        expiresAtMs: c.expiresAtMs,
      },
    });
  } catch (error) {
    ctx.metrics.authFailures.inc({ reason: 'refresh' });
    const spec = error instanceof AuthError ? error.spec : ErrorCodes.InvalidToken;
    c.send(errorFrame(id, spec));
    disconnectForError(c, spec);
  }
}
