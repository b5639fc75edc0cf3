import { nodeRoute } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { decodeInbound, encodeDelivery, type Inbound } from '@switchboard/protocol';
import { NO_TRACING, parseTraceparent, type Tracing } from '@switchboard/runtime';
import { type MemoryTracing, memoryTracing } from '@switchboard/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeNode } from './edge-node.js';
import { connect, SECRET } from './testing/harness.js';

describe('edge spans', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** One edge node with `tracing`, and an `echo` service that answers every request as a child of `service`. */
  async function start(tracing: Tracing, service: MemoryTracing) {
    const broker = new MemoryBroker();
    const edgeTransport = new MemoryTransport({ broker });
    const serviceTransport = new MemoryTransport({ broker });
    closers.push(
      () => edgeTransport.close(),
      () => serviceTransport.close(),
    );
    const node = new EdgeNode(
      { nodeId: 'n0', host: '127.0.0.1', port: 0, jwtSecret: SECRET, clientCallable: ['echo/*'] },
      { transport: edgeTransport, tracing },
    );
    await node.start();
    closers.push(() => node.close());
    const received: Inbound[] = [];
    await serviceTransport.consumeWork('echo', { group: 'echo' }, async (message) => {
      const inbound = decodeInbound(message.bytes);
      received.push(inbound);
      const span = service.tracing.startSpan('publish echo reply', inbound.traceId, { kind: 'producer' });
      await serviceTransport.publishDelivery(
        nodeRoute('n0'),
        encodeDelivery({
          connection: inbound.connectionId,
          service: 'echo',
          traceId: span.traceparent,
          reply: { requestId: inbound.requestId, type: 'echo.ok' },
        }),
      );
      span.end();
    });
    const { client } = await connect(node.url, 'alice');
    closers.push(() => client.close());
    return { client, received };
  }

  it('relays a request as the root span and writes its answer as a child of the publisher span', async () => {
    const edge = memoryTracing('edge');
    const service = memoryTracing('echo');
    const { client, received } = await start(edge.tracing, service);
    client.send({ id: 1, send: { service: 'echo', type: 'echo', requestId: 'r1' } });
    await client.next((f) => f.reply?.requestId === 'r1');
    const relay = edge.spans().find((s) => s.name === 'relay echo/echo');
    const write = edge.spans().find((s) => s.name === 'edge write reply');
    const publish = service.spans()[0];
    expect(relay?.parentSpanId).toBeUndefined();
    expect(parseTraceparent(received[0]?.traceId)).toMatchObject({
      traceId: relay?.traceId,
      spanId: relay?.spanId,
    });
    expect(publish?.parentSpanId).toBe(relay?.spanId);
    expect(write?.traceId).toBe(relay?.traceId);
    expect(write?.parentSpanId).toBe(publish?.spanId);
    expect(write?.attributes['switchboard.written']).toBe(1);
  });

  it('with tracing off, stamps an unsampled traceparent that services do not record under', async () => {
    const service = memoryTracing('echo');
    const { client, received } = await start(NO_TRACING, service);
    client.send({ id: 1, send: { service: 'echo', type: 'echo', requestId: 'r2' } });
    await client.next((f) => f.reply?.requestId === 'r2');
    expect(parseTraceparent(received[0]?.traceId)?.traceFlags).toBe(0);
    expect(service.spans()).toEqual([]);
  });
});
