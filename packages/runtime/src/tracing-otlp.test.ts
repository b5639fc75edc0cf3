import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tracingFromEnv } from './tracing.js';

interface Received {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

/** A collector that accepts every OTLP/HTTP export and keeps it. */
async function collector(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    received.push({
      path: req.url ?? '',
      contentType: req.headers['content-type'] ?? '',
      body: await read(req),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('OTLP/HTTP export', () => {
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  let server: Server | undefined;
  afterEach(async () => {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    await new Promise((resolve) => server?.close(resolve));
  });

  it('exports the spans to OTEL_EXPORTER_OTLP_ENDPOINT when it is set, on shutdown at the latest', async () => {
    const otlp = await collector();
    server = otlp.server;
    // The exporter reads the standard variable itself; tracingFromEnv decides on the same environment.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.url;
    const tracing = tracingFromEnv('switchboard-edge', process.env);
    expect(tracing.enabled).toBe(true);
    const relay = tracing.startSpan('relay chat/chat.send', undefined, { kind: 'producer' });
    relay.end();
    await tracing.shutdown();
    expect(otlp.received.map((r) => r.path)).toEqual(['/v1/traces']);
    const [{ contentType, body }] = otlp.received as [Received];
    expect(contentType).toContain('application/json');
    const exported = JSON.parse(body);
    const resource = exported.resourceSpans[0];
    expect(resource.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'switchboard-edge' },
    });
    const [span] = resource.scopeSpans[0].spans;
    expect(span.name).toBe('relay chat/chat.send');
    expect(relay.traceparent).toContain(span.traceId);
  });
});
