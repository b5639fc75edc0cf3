/**
 * W3C trace context across the bus, with OpenTelemetry spans. A request's `traceparent`
 * (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`) travels in the envelopes' `trace_id` field; every
 * hop starts a child span of the traceparent it received and passes its own span's traceparent on.
 *
 * Off unless configured (see `tracingConfigured`): then `NO_TRACING` is used, nothing of the OpenTelemetry
 * SDK is even loaded, and callers test `tracing.enabled` once and skip span work entirely. On: a tracer
 * provider of this process's own (not registered globally, so several components of one process — the
 * all-in-one, a test — each keep theirs) exporting over OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT`, or to
 * whatever exporter the caller gives.
 *
 * Parents are always passed explicitly as traceparent strings, never through an async context manager: the
 * bus hops are where the context crosses anyway, and no AsyncLocalStorage is paid for on the hot path.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ConfigError } from './config/config-error.js';

/** Switches tracing on (`true`) or off (`false`, even with an OTLP endpoint set). */
export const TRACING_VARIABLE = 'SWITCHBOARD_TRACING';
const BATCH_DELAY_VARIABLE = 'OTEL_BSP_SCHEDULE_DELAY';
const ENDPOINT_VARIABLES = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] as const;

export type TraceSpanKind = 'internal' | 'producer' | 'consumer' | 'server' | 'client';

export interface SpanStart {
  readonly kind?: TraceSpanKind;
  readonly attributes?: Attributes;
}

/** One span, as the hops use it: its traceparent goes into the next envelope. */
export interface TraceSpan {
  /** This span's W3C traceparent; '' for the no-op span. */
  readonly traceparent: string;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Marks the span failed with the error. */
  fail(error: unknown): void;
  end(): void;
}

export interface Tracing {
  /** False: every method is a no-op; callers check this once and skip span work altogether. */
  readonly enabled: boolean;
  /**
   * Starts a span, child of `traceparent` when that is a valid W3C traceparent; otherwise (empty, an old
   * free-form trace id, garbage from another publisher) the span starts a new trace.
   */
  startSpan(name: string, traceparent: string | undefined, options?: SpanStart): TraceSpan;
  /** Exports what is buffered (call before a test reads its exporter, or before exit). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const NOOP_SPAN: TraceSpan = Object.freeze({
  traceparent: '',
  setAttribute: () => undefined,
  fail: () => undefined,
  end: () => undefined,
});

/** Tracing switched off: no provider, no spans, no cost. */
export const NO_TRACING: Tracing = Object.freeze({
  enabled: false,
  startSpan: () => NOOP_SPAN,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
});

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The W3C traceparent of a span context (version 00). */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The remote span context in a W3C traceparent, or undefined when the value is not one (trace_id held
 * free-form ids before it held traceparents: those are ignored, not errors).
 */
export function parseTraceparent(value: string | undefined | null): SpanContext | undefined {
  const match = value ? TRACEPARENT.exec(value) : null;
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // 'ff' is forbidden; version 00 has exactly four fields (later versions may append more).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
}

/**
 * A fresh traceparent flagged not sampled (flags 00), for a hop that starts a request with tracing off: logs
 * still correlate by its trace id, and a tracing service downstream honours the decision and records
 * nothing (a span whose parent was never exported would only make a broken trace).
 */
export function unsampledTraceparent(): string {
  const ids = randomBytes(24).toString('hex');
  return `00-${ids.slice(0, 32)}-${ids.slice(32)}-00`;
}

/**
 * True when tracing is asked for: `SWITCHBOARD_TRACING=true`, or an OTLP endpoint set (the standard
 * OpenTelemetry variables) and neither `SWITCHBOARD_TRACING=false` nor `OTEL_SDK_DISABLED=true`.
 */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const switched = env[TRACING_VARIABLE]?.trim().toLowerCase();
  if (switched === 'true' || switched === '1') return true;
  if (switched === 'false' || switched === '0') return false;
  if (switched)
    throw new ConfigError([
      {
        variable: TRACING_VARIABLE,
        problem: `"${env[TRACING_VARIABLE]}" is not true or false; unset it to follow OTEL_EXPORTER_OTLP_ENDPOINT`,
      },
    ]);
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return ENDPOINT_VARIABLES.some((name) => Boolean(env[name]?.trim()));
}

export interface CreateTracingOptions {
  /** `service.name` of the spans (OTEL_SERVICE_NAME wins when set, as OpenTelemetry specifies). */
  readonly serviceName: string;
  /** Default: OTLP over HTTP, configured by the standard OTEL_EXPORTER_OTLP_* variables. */
  readonly exporter?: SpanExporter;
  /** Export each span as it ends (tests) instead of in batches (default: batches, for production). */
  readonly immediate?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

// Loaded on demand, so that a process with tracing off never loads the SDK.
const load = createRequire(import.meta.url);

/** A tracer provider of its own, always on (see `tracingFromEnv` for the configured choice). */
export function createTracing(options: CreateTracingOptions): Tracing {
  const sdk = load('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { resourceFromAttributes } = load(
    '@opentelemetry/resources',
  ) as typeof import('@opentelemetry/resources');
  const env = options.env ?? process.env;
  const delayMs = batchDelayMs(env);
  const exporter = options.exporter ?? otlpExporter();
  const processor: SpanProcessor = options.immediate
    ? new sdk.SimpleSpanProcessor({ exporter })
    : new sdk.BatchSpanProcessor({
        exporter,
        ...(delayMs !== undefined ? { scheduledDelayMillis: delayMs } : {}),
      });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME?.trim() || options.serviceName,
      // Two processes of one service (two edges) export under the same name: the pid tells them apart.
      'process.pid': process.pid,
    }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('@switchboard/runtime');
  return {
    enabled: true,
    startSpan(name, traceparent, start = {}) {
      const parent = parseTraceparent(traceparent);
      const context = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
      const span = tracer.startSpan(
        name,
        {
          kind: SPAN_KINDS[start.kind ?? 'internal'],
          ...(start.attributes ? { attributes: start.attributes } : {}),
        },
        context,
      );
      return wrap(span);
    },
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * OTEL_BSP_SCHEDULE_DELAY, the OpenTelemetry variable for the batch interval in ms: the SDK no longer reads
 * it itself, so it is read here. Unset: the SDK's default (5 s).
 */
function batchDelayMs(env: NodeJS.ProcessEnv): number | undefined {
  const value = env[BATCH_DELAY_VARIABLE]?.trim();
  if (!value) return undefined;
  if (!/^\d+$/.test(value))
    throw new ConfigError([
      { variable: BATCH_DELAY_VARIABLE, problem: `"${value}" is not a whole number of milliseconds` },
    ]);
  return Number(value);
}

/** `createTracing` when `tracingConfigured(env)`, else NO_TRACING. */
export function tracingFromEnv(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  return tracingConfigured(env) ? createTracing({ serviceName, env }) : NO_TRACING;
}

let processWide: Tracing | undefined;

/**
 * The process's tracing, from the environment, made on first use (the first caller's name becomes
 * `service.name`). The default of every component that takes a `tracing` option; `shutdownOnSignals` exports
 * its last batch after the process's own steps.
 */
export function processTracing(serviceName = 'switchboard'): Tracing {
  processWide ??= tracingFromEnv(serviceName);
  return processWide;
}

/**
 * Exports the process's last spans and stops its provider (the final shutdown step, see process.ts). An
 * unreachable collector costs the spans, never the exit code.
 */
export async function shutdownProcessTracing(): Promise<void> {
  await processWide?.shutdown().catch(() => undefined);
}

const SPAN_KINDS: Record<TraceSpanKind, SpanKind> = {
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
};

function wrap(span: Span): TraceSpan {
  return {
    traceparent: formatTraceparent(span.spanContext()),
    setAttribute: (key, value) => void span.setAttribute(key, value),
    fail(error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    },
    end: () => span.end(),
  };
}

function otlpExporter(): SpanExporter {
  const { OTLPTraceExporter } = load(
    '@opentelemetry/exporter-trace-otlp-http',
  ) as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter();
}
