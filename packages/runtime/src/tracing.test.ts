import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './config/config-error.js';
import { unknownVariableWarnings } from './config/unknown-variables.js';
import {
  createTracing,
  formatTraceparent,
  NO_TRACING,
  parseTraceparent,
  tracingConfigured,
  tracingFromEnv,
  unsampledTraceparent,
} from './tracing.js';

const VALID = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('traceparent', () => {
  it('parses a W3C traceparent and formats it back unchanged', () => {
    const context = parseTraceparent(VALID);
    expect(context).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    expect(formatTraceparent(context!)).toBe(VALID);
  });

  it.each([
    ['empty', ''],
    ['an old free-form trace id', '9f86d081884c7d65'],
    ['upper-case hex', VALID.toUpperCase()],
    ['version ff', `ff${VALID.slice(2)}`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`],
    ['an all-zero span id', `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`],
    ['version 00 with a fifth field', `${VALID}-extra`],
  ])('ignores %s', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('accepts a later version with more fields (forward compatible)', () => {
    expect(parseTraceparent(`01${VALID.slice(2)}-more`)?.spanId).toBe('b7ad6b7169203331');
  });

  it('makes a valid, unsampled, fresh traceparent for requests started with tracing off', () => {
    const [a, b] = [unsampledTraceparent(), unsampledTraceparent()];
    expect(parseTraceparent(a)?.traceFlags).toBe(0);
    expect(parseTraceparent(b)?.traceId).not.toBe(parseTraceparent(a)?.traceId);
  });

  it('pads the flags to two hex digits', () => {
    const context = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 };
    expect(formatTraceparent(context)).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`);
  });
});

describe('tracingConfigured', () => {
  it('is off when nothing is set', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingFromEnv('edge', {})).toBe(NO_TRACING);
  });

  it('is on with an OTLP endpoint, unless switched off', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingConfigured(endpoint)).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingConfigured({ ...endpoint, SWITCHBOARD_TRACING: 'false' })).toBe(false);
    expect(tracingConfigured({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('is on with SWITCHBOARD_TRACING=true alone (default endpoint)', () => {
    expect(tracingConfigured({ SWITCHBOARD_TRACING: 'true' })).toBe(true);
    expect(tracingConfigured({ SWITCHBOARD_TRACING: '1', OTEL_SDK_DISABLED: 'true' })).toBe(true);
  });

  it('is a setting of every process: never reported as unknown', () => {
    expect(unknownVariableWarnings({ SWITCHBOARD_TRACING: 'true' }, [], 'edge')).toEqual([]);
  });

  it('names the variable when its value is neither true nor false', () => {
    expect(() => tracingConfigured({ SWITCHBOARD_TRACING: 'yes please' })).toThrow(ConfigError);
    expect(() => tracingConfigured({ SWITCHBOARD_TRACING: 'yes please' })).toThrow(/SWITCHBOARD_TRACING/);
  });
});

describe('createTracing', () => {
  const setUp = () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ serviceName: 'unit', exporter, immediate: true, env: {} });
    return { exporter, tracing };
  };

  it('starts a child of the traceparent it is given, in the same trace', async () => {
    const { exporter, tracing } = setUp();
    const span = tracing.startSpan('handle chat/chat.send', VALID, { kind: 'consumer' });
    span.end();
    await tracing.forceFlush();
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(finished?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span.traceparent).toBe(formatTraceparent(finished!.spanContext()));
    expect(finished?.resource.attributes['service.name']).toBe('unit');
    await tracing.shutdown();
  });

  it('starts a new trace from an old free-form trace id', async () => {
    const { exporter, tracing } = setUp();
    const span = tracing.startSpan('relay', 'deadbeefdeadbeef');
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.parentSpanContext).toBeUndefined();
    expect(parseTraceparent(span.traceparent)?.traceId).toBe(finished?.spanContext().traceId);
    await tracing.shutdown();
  });

  it('records nothing under an unsampled parent, but keeps its trace id for the next hop', async () => {
    const { exporter, tracing } = setUp();
    const parent = unsampledTraceparent();
    const span = tracing.startSpan('handle', parent);
    span.end();
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(parseTraceparent(span.traceparent)?.traceId).toBe(parseTraceparent(parent)?.traceId);
    await tracing.shutdown();
  });

  it('records a failure on the span', async () => {
    const { exporter, tracing } = setUp();
    const span = tracing.startSpan('publish', undefined);
    span.fail(new Error('broker said no'));
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.status).toEqual({ code: 2, message: 'broker said no' });
    await tracing.shutdown();
  });

  it('stamps each span with the process: service.name and process.pid', async () => {
    const { exporter, tracing } = setUp();
    tracing.startSpan('relay', undefined).end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.resource.attributes).toMatchObject({
      'service.name': 'unit',
      'process.pid': process.pid,
    });
    await tracing.shutdown();
  });

  it('makes nothing when off', () => {
    const span = NO_TRACING.startSpan('relay', VALID);
    expect(NO_TRACING.enabled).toBe(false);
    expect(span.traceparent).toBe('');
  });
});

describe('batch export interval', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // Only the batch timer is faked: what is exported after how long is then exact, whatever the machine's load.
  const batched = (env: NodeJS.ProcessEnv) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ serviceName: 'unit', exporter, env });
    tracing.startSpan('relay', undefined).end();
    return { exporter, tracing };
  };

  it('follows OTEL_BSP_SCHEDULE_DELAY', async () => {
    const { exporter, tracing } = batched({ OTEL_BSP_SCHEDULE_DELAY: '100' });
    await vi.advanceTimersByTimeAsync(50);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await vi.advanceTimersByTimeAsync(60);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['relay']);
    await tracing.shutdown();
  });

  it('exports every 5 s without it', async () => {
    const { exporter, tracing } = batched({});
    await vi.advanceTimersByTimeAsync(4_900);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['relay']);
    await tracing.shutdown();
  });

  it('names the variable when its value is not a number of milliseconds', () => {
    const make = () => createTracing({ serviceName: 'unit', env: { OTEL_BSP_SCHEDULE_DELAY: 'soon' } });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/OTEL_BSP_SCHEDULE_DELAY/);
  });
});
