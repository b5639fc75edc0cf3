/**
 * An OTLP/HTTP receiver for tests, standing in for an OpenTelemetry collector: it accepts every export with
 * 200, keeps each request as it came, and reads the spans back out of the JSON encoding (the encoding of
 * @opentelemetry/exporter-trace-otlp-http), each with the resource attributes of the process that sent it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedExport {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for the root of a trace. */
  readonly parentSpanId: string | undefined;
  /** 0 unset, 1 ok, 2 error (OpenTelemetry's SpanStatusCode). */
  readonly status: number;
  /** `service.name` of the exporting process's resource. */
  readonly service: string;
  /** Every attribute of the exporting process's resource (`process.pid`, `service.name`, …). */
  readonly resource: Readonly<Record<string, unknown>>;
}

export interface OtlpReceiver {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT (exporters append /v1/traces). */
  readonly url: string;
  /** Every export request so far, in arrival order. */
  readonly exports: readonly ReceivedExport[];
  /** Every span of every trace export so far. */
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

interface OtlpAttribute {
  readonly key: string;
  readonly value: Record<string, unknown>;
}

interface OtlpTraceExport {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpAttribute[] };
    readonly scopeSpans?: readonly {
      readonly spans?: readonly {
        readonly name: string;
        readonly traceId: string;
        readonly spanId: string;
        readonly parentSpanId?: string;
        readonly status?: { readonly code?: number };
      }[];
    }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const server = createServer(async (req, res) => {
    exports.push({
      path: req.url ?? '',
      contentType: req.headers['content-type'] ?? '',
      body: await read(req),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    spans: () => exports.filter((e) => e.path === '/v1/traces').flatMap(spansOf),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function spansOf(received: ReceivedExport): ReceivedSpan[] {
  if (!received.contentType.includes('json'))
    throw new Error(`an OTLP export in ${received.contentType}: only the JSON encoding is read`);
  const parsed = JSON.parse(received.body) as OtlpTraceExport;
  return (parsed.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = Object.fromEntries(
      (resourceSpans.resource?.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]),
    );
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        // The JSON encoding writes a root's missing parent as '' (or leaves it out).
        parentSpanId: span.parentSpanId || undefined,
        status: span.status?.code ?? 0,
        service: String(resource['service.name']),
        resource,
      })),
    );
  });
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
