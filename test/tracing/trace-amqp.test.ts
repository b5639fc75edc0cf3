/**
 * One client request, one trace, across three processes on RabbitMQ (issue 15): edge A, the chat service
 * and edge B run as OS processes of their own from their real entry points (services/edge/src/main.ts,
 * services/chat/src/main.ts), configured only through the environment, each exporting OTLP/HTTP to a
 * receiver this test runs. Alice on edge A sends `chat.typing`; the chat service handles it, publishes the
 * typing notice to the room's channel and the reply to alice; edge A writes the reply, edge B writes the
 * notice to bob. The trace context can only cross through the envelopes' trace_id (a W3C traceparent), over
 * the real broker.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typingChannel } from '../../services/chat/src/index.js';
import { connect, SECRET, subscribe, type TestClient } from '../../services/edge/src/testing/harness.js';
import { type RabbitHandle, startRabbit } from '../support/brokers.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import { ownVhost } from '../support/rabbitmq.js';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';

const run = randomBytes(4).toString('hex');
const json = (value: object) => new TextEncoder().encode(JSON.stringify(value));

let rabbit: RabbitHandle | undefined;
let vhost: { url: string; remove(): Promise<void> } | undefined;
let otlp: OtlpReceiver | undefined;
const processes: ServiceProcess[] = [];
const clients: TestClient[] = [];

/** What every process gets: the bus, tracing on, export to our receiver, a short batch interval. */
const tracedEnv = (busUrl: string, receiver: OtlpReceiver) => ({
  SWITCHBOARD_BUS: busUrl,
  SWITCHBOARD_TRACING: 'true',
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_BSP_SCHEDULE_DELAY: '100',
  SWITCHBOARD_LOG_LEVEL: 'info',
});

async function startEdge(name: string, common: Record<string, string>): Promise<string> {
  const edge = startServiceProcess(`edge ${name}`, 'services/edge/src/main.ts', {
    ...common,
    SWITCHBOARD_NODE_ID: `trace-${run}-${name}`,
    SWITCHBOARD_JWT_SECRET: SECRET,
    SWITCHBOARD_EDGE_HOST: '127.0.0.1',
    SWITCHBOARD_EDGE_PORT: '0',
    SWITCHBOARD_DRAIN_JITTER_MS: '100',
    OTEL_SERVICE_NAME: `switchboard-edge-${name}`,
  });
  processes.push(edge);
  return String((await edge.logged('edge started')).url);
}

async function startChat(common: Record<string, string>): Promise<void> {
  const chat = startServiceProcess('chat', 'services/chat/src/main.ts', { ...common, CHAT_HTTP_PORT: '0' });
  processes.push(chat);
  await chat.logged('chat started');
}

async function client(url: string, user: string): Promise<TestClient> {
  const { client } = await connect(url, user);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  rabbit = await startRabbit();
  vhost = await ownVhost(rabbit.url, 'sb-trace');
  otlp = await startOtlpReceiver();
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await Promise.all(processes.map((p) => p.stop()));
  await otlp?.close();
  await vhost?.remove();
  await rabbit?.stop();
});

describe('tracing on RabbitMQ, three processes', () => {
  it('one client request yields one connected trace across edge A, chat and edge B', async () => {
    const common = tracedEnv(vhost!.url, otlp!);
    const [urlA, urlB] = await Promise.all([
      startEdge('a', common),
      startEdge('b', common),
      startChat(common),
    ]);
    const [edgeA, edgeB, chat] = processes as [ServiceProcess, ServiceProcess, ServiceProcess];
    const room = `trace-${run}`;
    const alice = await client(urlA!, 'alice');
    const bob = await client(urlB!, 'bob');
    expect((await subscribe(bob, 1, typingChannel(room))).subscribed).toBeTruthy();

    // The room exists after a join; the request under test is the typing notice that follows.
    alice.send({
      id: 1,
      send: { service: 'chat', type: 'chat.join', key: room, payload: json({ room }), requestId: 'join' },
    });
    expect((await alice.next((f) => f.reply?.requestId === 'join', 30_000)).reply?.error).toBeFalsy();
    alice.send({
      id: 2,
      send: { service: 'chat', type: 'chat.typing', key: room, payload: json({ room }), requestId: 'typing' },
    });
    expect((await alice.next((f) => f.reply?.requestId === 'typing', 30_000)).reply?.error).toBeFalsy();
    await bob.next((f) => f.publication?.type === 'chat.typing', 30_000);

    const relayOf = () => otlp!.spans().find((s) => s.name === 'relay chat/chat.typing');
    const trace = () => otlp!.spans().filter((s) => s.traceId === relayOf()?.traceId);
    // Each process exports its batch 100 ms after its span ends (the relay span at the broker's confirm). Only
    // a wait: the assertions below, after the shutdown's final export, say what is missing.
    await waitFor('the five spans of the request at the receiver', () => trace().length >= 5, 30_000).catch(
      () => undefined,
    );

    // The ordered shutdown exports whatever is left: after it, the trace is complete, and nothing more came.
    for (const c of clients) await c.close();
    expect(await Promise.all(processes.map((p) => p.stop()))).toEqual([0, 0, 0]);
    const relay = relayOf()!;
    const spans = trace();
    const one = (service: string, name: string): ReceivedSpan => {
      const found = spans.filter((s) => s.service === service && s.name === name);
      expect(found, `${service}: ${name} in ${JSON.stringify(spans)}`).toHaveLength(1);
      return found[0]!;
    };
    const handler = one('switchboard-chat', 'handle chat/chat.typing');
    const publish = one('switchboard-chat', 'publish chat/chat.typing reply');
    const writeReply = one('switchboard-edge-a', 'edge write reply');
    const writeNotice = one('switchboard-edge-b', 'edge write publication');
    expect(relay.service).toBe('switchboard-edge-a');

    // client request → service handler → reply publish → edge write (and the handler's own publication →
    // the other edge's write): one tree, rooted at the relay span.
    expect(relay.parentSpanId).toBeUndefined();
    expect(handler.parentSpanId).toBe(relay.spanId);
    expect(publish.parentSpanId).toBe(handler.spanId);
    expect(writeReply.parentSpanId).toBe(publish.spanId);
    expect(writeNotice.parentSpanId).toBe(handler.spanId);
    expect(spans).toHaveLength(5);
    expect(spans.every((s) => s.status !== 2)).toBe(true);

    // Three processes: each span carries the resource of the process that made it.
    const pidOf = (s: ReceivedSpan) => s.resource['process.pid'];
    expect([relay, writeReply].map(pidOf)).toEqual([edgeA.pid, edgeA.pid]);
    expect([handler, publish].map(pidOf)).toEqual([chat.pid, chat.pid]);
    expect(pidOf(writeNotice)).toBe(edgeB.pid);
    expect(new Set(spans.map((s) => s.service)).size).toBe(3);

    // The join was a trace of its own: nothing of it leaked into this one.
    const joinRelay = otlp!.spans().find((s) => s.name === 'relay chat/chat.join');
    expect(joinRelay?.traceId).toBeDefined();
    expect(joinRelay?.traceId).not.toBe(relay.traceId);
  });
});
