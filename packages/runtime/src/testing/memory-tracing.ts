/**
 * Tracing into memory, for tests: spans are exported as they end and read back as plain records (trace id,
 * span id, parent span id), so a test can check that the hops of one request form one tree. Tests only:
 * production processes use `processTracing()` / `tracingFromEnv()`.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { createTracing, type Tracing } from '../tracing.js';

export interface RecordedSpan {
  readonly name: string;
  /** The `service.name` of the tracer that made it: which component (process) it belongs to. */
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for the root of a trace. */
  readonly parentSpanId: string | undefined;
  /** 0 unset, 1 ok, 2 error (OpenTelemetry's SpanStatusCode). */
  readonly status: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface MemoryTracing {
  readonly tracing: Tracing;
  /** Every span ended so far, in the order they ended. */
  spans(): RecordedSpan[];
}

export function memoryTracing(serviceName: string): MemoryTracing {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName, exporter, immediate: true, env: {} });
  return {
    tracing,
    spans: () =>
      exporter.getFinishedSpans().map((span) => ({
        name: span.name,
        service: String(span.resource.attributes['service.name']),
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        status: span.status.code,
        attributes: span.attributes,
      })),
  };
}
