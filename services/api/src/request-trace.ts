/**
 * The W3C trace context of one API request, for the envelopes it publishes (presence and history queries,
 * publications, disconnects). API callers are authenticated by key, so unlike a WebSocket client's request
 * (which always starts a trace at the edge) a valid `traceparent` header is trusted and continued: the
 * caller's trace goes on through the bus. Without one, the request starts a trace.
 *
 * With tracing on, the request is a `<METHOD> <route>` server span and the envelopes carry its traceparent;
 * with it off, they carry the caller's traceparent (its four fields, re-written), or a fresh unsampled one, so that logs down
 * the line still correlate by trace id.
 */
import {
  formatTraceparent,
  parseTraceparent,
  type TraceSpan,
  type Tracing,
  unsampledTraceparent,
} from '@switchboard/runtime';

export interface RequestTrace {
  /** What the request's envelopes carry in trace_id. */
  readonly traceparent: string;
  /** Ends the request's span with the response status (and the error behind a 5xx); then a no-op. */
  end(status: number, error?: unknown): void;
}

const NOT_RECORDED = (traceparent: string): RequestTrace => ({ traceparent, end: () => undefined });

/** `header` is the request's `traceparent` header; several of them, or an invalid one, are ignored. */
export function startRequestTrace(
  tracing: Tracing,
  method: string,
  route: string,
  header: string | string[] | undefined,
): RequestTrace {
  // Re-written from its parts, never passed on as it came: a later-version traceparent may append any text,
  // and up to a whole header's worth of it would otherwise ride in every envelope of the request.
  const parsed = typeof header === 'string' ? parseTraceparent(header.trim()) : undefined;
  const incoming = parsed ? formatTraceparent(parsed) : undefined;
  if (!tracing.enabled) return NOT_RECORDED(incoming ?? unsampledTraceparent());
  const span: TraceSpan = tracing.startSpan(`${method} ${route}`, incoming, {
    kind: 'server',
    attributes: { 'http.request.method': method, 'http.route': route },
  });
  let ended = false;
  return {
    traceparent: span.traceparent,
    end(status, error) {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.fail(error ?? new Error(`answered ${status}`));
      span.end();
    },
  };
}
