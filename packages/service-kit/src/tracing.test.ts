import { waitFor } from '@switchboard/bus/conformance';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { type Delivery, decodeDelivery, encodeInbound, type IInbound, Origin } from '@switchboard/protocol';
import { NO_TRACING, parseTraceparent, type Tracing } from '@switchboard/runtime';
import { type MemoryTracing, memoryTracing } from '@switchboard/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineService } from './service.js';
import type { Service } from './service-types.js';

describe('service-kit spans', () => {
  let broker: MemoryBroker;
  let transports: MemoryTransport[];
  let services: Service[];
  let deliveries: Delivery[];
  let traced: MemoryTracing;
  let tracing: Tracing;
  /** Stands in for the edge's relay span: the parent the Inbound brings. */
  let edge: Tracing;

  const connect = () => {
    const transport = new MemoryTransport({ broker });
    transports.push(transport);
    return transport;
  };
  const send = (inbound: IInbound) =>
    connect().publishWork(
      'chat',
      inbound.connectionId ?? '',
      encodeInbound({ service: 'chat', nodeId: 'edge-a', timeMs: Date.now(), ...inbound }),
    );
  const spans = (name: string) => traced.spans().filter((s) => s.name === name);

  beforeEach(async () => {
    broker = new MemoryBroker();
    transports = [];
    services = [];
    deliveries = [];
    traced = memoryTracing('chat');
    tracing = traced.tracing;
    edge = memoryTracing('edge').tracing;
    await connect().openNode('edge-a', (bytes) => deliveries.push(decodeDelivery(bytes)));
  });

  afterEach(async () => {
    for (const service of services) await service.stop();
    for (const transport of transports) await transport.close();
    await tracing.shutdown();
    await edge.shutdown();
  });

  const start = async (handler: Parameters<Service['on']>[1]) => {
    const service = defineService({
      name: 'chat',
      transport: connect(),
      httpPort: false,
      maxAttempts: 1,
      tracing,
    });
    service.on('chat.send', handler, { clientCallable: true });
    services.push(service);
    await service.start();
    return service;
  };

  it('continues the trace: handler span under the Inbound traceparent, reply publish under the handler', async () => {
    const service = await start(async (m) => {
      await service.publisher.toConnection(
        'edge-a.c1',
        'chat.note',
        { ok: 1 },
        { traceId: m.inbound.traceId },
      );
      await m.reply('chat.sent', { ok: true });
    });
    const relay = edge.startSpan('relay chat/chat.send', undefined);
    relay.end();
    await send({
      connectionId: 'edge-a.c1',
      type: 'chat.send',
      requestId: '7',
      traceId: relay.traceparent,
      origin: Origin.ORIGIN_CLIENT,
    });
    await waitFor('reply and push', () => deliveries.length === 2);
    const [handler] = spans('handle chat/chat.send');
    const [publish] = spans('publish chat/chat.send reply');
    const parent = parseTraceparent(relay.traceparent)!;
    expect(handler?.traceId).toBe(parent.traceId);
    expect(handler?.parentSpanId).toBe(parent.spanId);
    expect(publish?.parentSpanId).toBe(handler?.spanId);
    const reply = deliveries.find((d) => d.body === 'reply')!;
    const push = deliveries.find((d) => d.body === 'push')!;
    // The edge's write span continues from the Delivery's traceparent: the publish span for the reply,
    // the handler span for what the handler published itself.
    expect(parseTraceparent(reply.traceId)?.spanId).toBe(publish?.spanId);
    expect(parseTraceparent(push.traceId)?.spanId).toBe(handler?.spanId);
  });

  it('marks the handler span failed when the handler throws', async () => {
    await start(() => {
      throw new Error('store down');
    });
    await send({
      connectionId: 'edge-a.c1',
      type: 'chat.send',
      requestId: '8',
      origin: Origin.ORIGIN_CLIENT,
    });
    await waitFor('the Internal error reply', () => deliveries.length === 1);
    await waitFor('the handler span', () => spans('handle chat/chat.send').length === 1);
    const [handler] = spans('handle chat/chat.send');
    expect(handler?.status).toBe(2);
    expect(handler?.parentSpanId).toBeUndefined(); // no traceparent came: a trace of its own
    expect(spans('publish chat/chat.send reply')[0]?.parentSpanId).toBe(handler?.spanId);
  });

  it('leaves an old free-form trace id alone when tracing is off', async () => {
    const service = defineService({
      name: 'chat',
      transport: connect(),
      httpPort: false,
      tracing: NO_TRACING,
    });
    service.on('chat.send', (m) => void m.reply('chat.sent', {}), { clientCallable: true });
    services.push(service);
    await service.start();
    await send({ connectionId: 'edge-a.c1', type: 'chat.send', requestId: '9', traceId: 'abc123' });
    await waitFor('reply', () => deliveries.length === 1);
    expect(deliveries[0]?.traceId).toBe('abc123');
  });
});
