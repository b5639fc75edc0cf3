/**
 * Delivery fan-out: decode a Delivery from the bus once, build the ServerFrame once, encode and frame it at
 * most once per wire format, and queue the same bytes on every local target (except `except_connection`).
 * With tracing on, each delivery is an `edge write <body>` span, child of the traceparent in its trace_id.
 */
import { type Delivery, decodeDelivery, type IServerFrame, type switchboard } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';
import { admitPublication, type ChannelContinuity, exceptOf, nextPageFrame } from './continuity.js';
import { Disconnects } from './disconnects.js';
import type { LocalIndex } from './local-index.js';
import type { EdgeMetrics } from './metrics.js';
import type { Relay } from './relay.js';
import { EncodedFrame } from './wire.js';

export interface FanOutContext {
  readonly index: () => LocalIndex | undefined;
  readonly relay: Relay;
  readonly metrics: EdgeMetrics;
  readonly log: Logger;
  /** Offset continuity of durable channels (continuity.ts); absent: publications are not checked. */
  readonly continuity?: ChannelContinuity;
  /** Runs before any delivery is written: the re-sync owed after a bus reconnect goes first (resync.ts). */
  readonly beforeDelivery?: () => void;
  /** A lifecycle consumer's re-announce request (reannounce.ts); absent: such requests are dropped. */
  readonly reannounce?: (request: switchboard.v1.ILifecycleReannounce) => void;
}

type Body = NonNullable<Delivery['body']>;

export function toServerFrame(delivery: Delivery): IServerFrame | undefined {
  const body = delivery.body as Body | undefined;
  if (!body) return undefined;
  return { id: delivery.frameId, [body]: delivery[body] };
}

function targetsOf(delivery: Delivery, index: LocalIndex): Iterable<Connection> {
  switch (delivery.target) {
    case 'channel':
      return index.channel(delivery.channel ?? '') ?? [];
    case 'user':
      return index.user(delivery.user ?? '') ?? [];
    case 'connection': {
      const connection = index.connection(delivery.connection ?? '');
      return connection ? [connection] : [];
    }
    case 'all':
      return delivery.all ? index.all() : [];
    default:
      return [];
  }
}

export function createDeliveryHandler(ctx: FanOutContext): (bytes: Uint8Array) => void {
  const tracing = ctx.relay.tracing;
  // Decided once: with tracing off, a delivery costs one boolean test more, nothing else.
  const traced = tracing.enabled;
  return (bytes) => {
    const index = ctx.index();
    if (!index) return;
    let delivery: Delivery;
    try {
      delivery = decodeDelivery(bytes);
    } catch (error) {
      ctx.metrics.drops.inc({ reason: 'malformed_delivery' });
      ctx.log.warn({ err: error }, 'dropping malformed delivery');
      return;
    }
    if (!traced) {
      deliver(ctx, index, delivery);
      return;
    }
    // A child of the publisher's span (the service's delivery publish); a new trace without a traceparent.
    const span = tracing.startSpan(`edge write ${delivery.body ?? 'empty'}`, delivery.traceId, {
      kind: 'consumer',
      attributes: { 'switchboard.target': delivery.target ?? '' },
    });
    try {
      span.setAttribute('switchboard.written', deliver(ctx, index, delivery));
    } catch (error) {
      span.fail(error);
      throw error;
    } finally {
      span.end();
    }
  };
}

/** Writes one delivery to its local targets; returns the number of connections it was queued on. */
function deliver(ctx: FanOutContext, index: LocalIndex, delivery: Delivery): number {
  if (delivery.body === 'reannounce') {
    // A command to the node itself (the request names the node it is for), never written to a client.
    if (delivery.reannounce) ctx.reannounce?.(delivery.reannounce);
    return 0;
  }
  ctx.beforeDelivery?.();
  const frame = toServerFrame(delivery);
  if (!frame) {
    ctx.metrics.drops.inc({ reason: 'empty_delivery' });
    ctx.log.warn({ target: delivery.target }, 'dropping delivery without body');
    return 0;
  }
  if (delivery.body === 'reply' || delivery.frameId) {
    // An answer is written only to the connection whose pending request it settles, with that client's
    // own ids put back (see Relay.answer); a late, forged or misaddressed one is dropped.
    const answered = delivery.target === 'connection' ? ctx.relay.answer(delivery) : undefined;
    if (!answered) {
      ctx.metrics.drops.inc({ reason: 'unmatched_answer' });
      return 0;
    }
    const subscribed = answered.frame.subscribed;
    // A page of a longer recovery (history's limits): its position is the page's end, not the stream top,
    // so it says nothing about the channel's continuity; a 2500 after it asks the client for the next page.
    const page = Boolean(subscribed?.recovered && delivery.recoveryContinues);
    if (subscribed && !page) ctx.continuity?.answered(subscribed.channel ?? '', subscribed.position);
    if (answered.connection.state !== 'connected') return 0;
    answered.connection.send(answered.frame);
    if (page && answered.connection.write(nextPageFrame(subscribed?.channel ?? ''), true) === 'queued')
      ctx.metrics.framesOut.inc();
    return 1;
  }
  if (ctx.continuity && !admitPublication(ctx.continuity, delivery, ctx.metrics)) return 0;
  const except = exceptOf(delivery);
  if (delivery.body === 'disconnect') {
    const d = delivery.disconnect!;
    for (const target of [...targetsOf(delivery, index)])
      if (target.id !== except)
        target.disconnect(
          d.code || Disconnects.byBackend.code,
          d.reason ?? '',
          d.reconnect ?? true,
          d.reconnectDelayMs ?? 0,
        );
    return 0;
  }
  const encoded = new EncodedFrame(frame);
  const durable = delivery.durable;
  let written = 0;
  let json = 0;
  for (const target of targetsOf(delivery, index)) {
    if (target.id === except || target.state !== 'connected') continue;
    if (target.write(encoded, durable) === 'queued') {
      written++;
      if (target.format === 'json') json++;
    }
  }
  if (written === 0) return 0;
  // Counted once per delivery, not per connection (prom-client's inc is not free at 1M frames/s).
  ctx.metrics.framesOut.inc(written);
  const protobuf = written - json;
  ctx.metrics.bytesOut.inc(
    (protobuf > 0 ? protobuf * encoded.payload('protobuf').byteLength : 0) +
      (json > 0 ? json * encoded.payload('json').byteLength : 0),
  );
  const publishedAt = Number(delivery.publishedAtMs);
  if (publishedAt > 0) ctx.metrics.deliverLatency.observe(Math.max(0, Date.now() - publishedAt) / 1000);
  return written;
}
