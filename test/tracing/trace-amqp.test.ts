/**
 * One client request, one trace, across three components on RabbitMQ: edge A relays alice's `chat.typing`,
 * the chat service handles it (and publishes the typing notice to the channel and the reply to alice), edge
 * A writes the reply to alice and edge B writes the notice to bob. Each component has its own AMQP
 * connection and its own tracer provider with an in-memory exporter — as separate processes would, except
 * that the test can read all three exporters. The trace context crosses only through the envelopes'
 * trace_id (a W3C traceparent), over the real broker.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import type { Transport } from '../../packages/bus/src/index.js';
import {
  type MemoryTracing,
  memoryTracing,
  type RecordedSpan,
} from '../../packages/runtime/src/testing/memory-tracing.js';
import type { Service } from '../../packages/service-kit/src/index.js';
import { createChatService, MemoryChatStore, typingChannel } from '../../services/chat/src/index.js';
import { EdgeNode } from '../../services/edge/src/index.js';
import { connect, SECRET, subscribe, type TestClient } from '../../services/edge/src/testing/harness.js';
import { type RabbitHandle, startRabbit } from '../support/brokers.js';

const run = randomBytes(4).toString('hex');
const json = (value: object) => new TextEncoder().encode(JSON.stringify(value));

let rabbit: RabbitHandle | undefined;
const transports: Transport[] = [];
const nodes: EdgeNode[] = [];
const clients: TestClient[] = [];
let chat: Service | undefined;

const tracing = {
  edgeA: memoryTracing('switchboard-edge-a'),
  chat: memoryTracing('switchboard-chat'),
  edgeB: memoryTracing('switchboard-edge-b'),
};

async function transport(name: string): Promise<Transport> {
  if (!rabbit) throw new Error('RabbitMQ is not started');
  const t = await AmqpTransport.connect({
    url: rabbit.url,
    connectionName: `trace-${run}-${name}`,
    reconnectMaxMs: 1_000,
  });
  transports.push(t);
  return t;
}

async function startEdge(name: string, traced: MemoryTracing): Promise<EdgeNode> {
  const node = new EdgeNode(
    { nodeId: `trace-${run}-${name}`, host: '127.0.0.1', port: 0, jwtSecret: SECRET },
    { transport: await transport(name), tracing: traced.tracing },
  );
  nodes.push(node);
  await node.start();
  return node;
}

async function client(node: EdgeNode, user: string): Promise<TestClient> {
  const { client } = await connect(node.url, user);
  clients.push(client);
  return client;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  rabbit = await startRabbit();
});

afterAll(async () => {
  for (const c of clients) await c.close();
  for (const node of nodes) await node.close();
  await chat?.stop();
  for (const t of transports) await t.close();
  for (const traced of Object.values(tracing)) await traced.tracing.shutdown();
  await rabbit?.stop();
});

describe('tracing on RabbitMQ', () => {
  it('one client request yields one connected trace across edge A, chat and edge B', async () => {
    const [edgeA, edgeB] = [await startEdge('a', tracing.edgeA), await startEdge('b', tracing.edgeB)];
    chat = createChatService({
      transport: await transport('chat'),
      store: new MemoryChatStore(),
      httpPort: false,
      tracing: tracing.chat.tracing,
    });
    await chat.start();
    const room = `trace-${run}`;
    const alice = await client(edgeA, 'alice');
    const bob = await client(edgeB, 'bob');
    expect((await subscribe(bob, 1, typingChannel(room))).subscribed).toBeTruthy();

    // The room exists after a join; the request under test is the typing notice that follows.
    alice.send({
      id: 1,
      send: { service: 'chat', type: 'chat.join', key: room, payload: json({ room }), requestId: 'join' },
    });
    expect((await alice.next((f) => f.reply?.requestId === 'join', 15_000)).reply?.error).toBeFalsy();
    alice.send({
      id: 2,
      send: { service: 'chat', type: 'chat.typing', key: room, payload: json({ room }), requestId: 'typing' },
    });
    expect((await alice.next((f) => f.reply?.requestId === 'typing', 15_000)).reply?.error).toBeFalsy();
    await bob.next((f) => f.publication?.type === 'chat.typing', 15_000);

    const all = () => Object.values(tracing).flatMap((traced) => traced.spans());
    const relayOf = () => tracing.edgeA.spans().find((s) => s.name === 'relay chat/chat.typing');
    const trace = () => all().filter((s) => s.traceId === relayOf()?.traceId);
    // Spans end as each hop finishes (the relay span at the broker's confirm, which may come after the reply).
    await waitFor('the five spans of the request', () => trace().length >= 5);
    const relay = relayOf();
    const spans = trace();
    const one = (service: string, name: string): RecordedSpan => {
      const found = spans.filter((s) => s.service === service && s.name === name);
      expect(found, `${service}: ${name}`).toHaveLength(1);
      return found[0]!;
    };
    const handler = one('switchboard-chat', 'handle chat/chat.typing');
    const publish = one('switchboard-chat', 'publish chat/chat.typing reply');
    const writeReply = one('switchboard-edge-a', 'edge write reply');
    const writeNotice = one('switchboard-edge-b', 'edge write publication');

    // client request → service handler → delivery publish → edge write (and the handler's own publication
    // → the other edge's write): one tree, rooted at the relay span.
    expect(relay?.parentSpanId).toBeUndefined();
    expect(handler.parentSpanId).toBe(relay?.spanId);
    expect(publish.parentSpanId).toBe(handler.spanId);
    expect(writeReply.parentSpanId).toBe(publish.spanId);
    expect(writeNotice.parentSpanId).toBe(handler.spanId);
    expect(spans).toHaveLength(5);
    expect(spans.every((s) => s.status !== 2)).toBe(true);
    // The join was a trace of its own: nothing of it leaked into this one.
    const joinRelay = tracing.edgeA.spans().find((s) => s.name === 'relay chat/chat.join');
    expect(joinRelay?.traceId).not.toBe(relay?.traceId);
  });
});
