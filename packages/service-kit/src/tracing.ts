/**
 * The service's two spans of a traced request: `handle <service>/<type>` around the handler, child of the
 * traceparent the Inbound brought (the edge's relay span), and `publish <service>/<type> reply` around the
 * answer's publish, child of the handler span. Everything the handler publishes itself (through
 * `service.publisher` with `traceId: m.inbound.traceId`) is a child of the handler span too, because the
 * handler sees its own span's traceparent in `inbound.traceId`.
 *
 * With tracing off none of this runs: the caller checks `tracing.enabled` once per message.
 */
import type { IDelivery, Inbound } from '@switchboard/protocol';
import type { Publisher } from '@switchboard/publisher';
import type { TraceSpan, Tracing } from '@switchboard/runtime';

/**
 * Starts the handler span and puts its traceparent in `inbound.traceId` (the Inbound was decoded for this
 * attempt alone), so that replies and publications continue the trace from the handler.
 */
export function startHandlerSpan(
  tracing: Tracing,
  service: string,
  inbound: Inbound,
  attempt: number,
): TraceSpan {
  const span = tracing.startSpan(`handle ${service}/${inbound.type}`, inbound.traceId, {
    kind: 'consumer',
    attributes: {
      'messaging.destination.name': service,
      'switchboard.type': inbound.type,
      'switchboard.attempt': attempt,
      ...(inbound.connectionId ? { 'switchboard.connection': inbound.connectionId } : {}),
    },
  });
  // An unsampled parent gives a non-recording span, whose traceparent still carries the trace id for logs.
  if (span.traceparent) inbound.traceId = span.traceparent;
  return span;
}

/** Ends the span with the handler's outcome. */
export async function traced<T>(span: TraceSpan, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}

/** Publishes an answer to `inbound` inside a `publish … reply` span whose traceparent the Delivery carries. */
export function sendAnswer(
  tracing: Tracing,
  publisher: Publisher,
  service: string,
  inbound: Inbound,
  delivery: IDelivery,
): Promise<void> {
  if (!tracing.enabled) return publisher.send(delivery);
  const span = tracing.startSpan(`publish ${service}/${inbound.type} reply`, inbound.traceId, {
    kind: 'producer',
    attributes: { 'switchboard.connection': inbound.connectionId },
  });
  return traced(span, () => publisher.send({ ...delivery, traceId: span.traceparent || delivery.traceId }));
}
