import { afterEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../../../test/support/otlp-receiver.js';
import { tracingFromEnv } from './tracing.js';

describe('OTLP/HTTP export', () => {
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  let otlp: OtlpReceiver | undefined;
  afterEach(async () => {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    await otlp?.close();
  });

  it('exports the spans to OTEL_EXPORTER_OTLP_ENDPOINT when it is set, on shutdown at the latest', async () => {
    otlp = await startOtlpReceiver();
    // The exporter reads the standard variable itself; tracingFromEnv decides on the same environment.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.url;
    const tracing = tracingFromEnv('switchboard-edge', process.env);
    expect(tracing.enabled).toBe(true);
    const relay = tracing.startSpan('relay chat/chat.send', undefined, { kind: 'producer' });
    relay.end();
    await tracing.shutdown();
    expect(otlp.exports.map((r) => r.path)).toEqual(['/v1/traces']);
    expect(otlp.exports[0]?.contentType).toContain('application/json');
    const [span, ...others] = otlp.spans();
    expect(others).toEqual([]);
    expect(span?.service).toBe('switchboard-edge');
    expect(span?.resource['process.pid']).toBe(process.pid);
    expect(span?.name).toBe('relay chat/chat.send');
    expect(span?.parentSpanId).toBeUndefined();
    expect(relay.traceparent).toBe(`00-${span?.traceId}-${span?.spanId}-01`);
  });
});
