import { request } from 'node:http';
import type { DeadLetter } from '@switchboard/bus';
import { waitFor } from '@switchboard/bus/conformance';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  decodeDelivery,
  ErrorCodes,
  encodeInbound,
  encodeLifecycleEvent,
  type IInbound,
  type LifecycleEvent,
  Origin,
} from '@switchboard/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceKitError } from './errors.js';
import { json } from './payloads.js';
import { defineService } from './service.js';
import type { Service, ServiceOptions } from './service-types.js';

interface LogLine {
  level: number;
  msg: string;
  type?: string;
  [key: string]: unknown;
}

const WARN = 40;
const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('defineService on the memory bus', () => {
  let broker: MemoryBroker;
  let transports: MemoryTransport[];
  let services: Service[];
  let logs: LogLine[];
  let edgeA: Delivery[];
  let edgeB: Delivery[];
  let client: MemoryTransport;

  const connect = () => {
    const transport = new MemoryTransport({ broker });
    transports.push(transport);
    return transport;
  };

  const make = (options: Partial<ServiceOptions> = {}): Service => {
    const service = defineService({
      name: 'chat',
      transport: connect(),
      logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
      httpHost: '127.0.0.1',
      stopTimeoutMs: 2_000,
      ...options,
    });
    services.push(service);
    return service;
  };

  /** What an edge publishes for a client's Send. */
  const send = (inbound: IInbound, topic = 'chat') =>
    client.publishWork(
      topic,
      inbound.key || inbound.connectionId || '',
      encodeInbound({ service: topic, nodeId: 'edge-a', timeMs: Date.now(), ...inbound }),
    );

  const warnings = (msg: string) => logs.filter((l) => l.level === WARN && l.msg.includes(msg));

  beforeEach(async () => {
    broker = new MemoryBroker();
    transports = [];
    services = [];
    logs = [];
    edgeA = [];
    edgeB = [];
    await connect().openNode('edge-a', (bytes) => edgeA.push(decodeDelivery(bytes)));
    await connect().openNode('edge-b', (bytes) => edgeB.push(decodeDelivery(bytes)));
    client = connect();
  });

  afterEach(async () => {
    for (const service of services) await service.stop();
    for (const transport of transports) await transport.close();
  });

  it('dispatches by type with the decoded payload and replies to the connection on its node', async () => {
    const seen: string[] = [];
    const service = make()
      .on<{ text: string }>(
        'chat.send',
        async (m) => {
          seen.push(`send:${m.payload.text}:${m.inbound.userId}:${m.attempt}`);
          expect(await m.reply('chat.sent', { ok: true })).toBe(true);
        },
        { decode: json() },
      )
      .on('chat.typing', (m) => {
        seen.push(`typing:${text(m.payload)}`);
      });
    await service.start();
    await send({ connectionId: 'edge-a.c1', userId: 'alice', type: 'chat.typing', payload: utf8('...') });
    await send({
      connectionId: 'edge-a.c1',
      userId: 'alice',
      type: 'chat.send',
      payload: utf8('{"text":"hi"}'),
      requestId: 'r1',
      traceId: 't1',
      key: 'room-1',
    });
    await waitFor('reply on edge-a', () => edgeA.length === 1);
    expect(seen).toEqual(['typing:...', 'send:hi:alice:1']);
    const reply = edgeA[0]!;
    expect([reply.target, reply.connection, reply.traceId]).toEqual(['connection', 'edge-a.c1', 't1']);
    expect([reply.reply?.requestId, reply.reply?.type, text(reply.reply?.payload)]).toEqual([
      'r1',
      'chat.sent',
      '{"ok":true}',
    ]);
    expect(edgeB).toEqual([]);
  });

  it('replies nothing when the message carries no request id', async () => {
    const results: boolean[] = [];
    const service = make().on('ping', async (m) => {
      results.push(await m.reply('pong', ''), await m.replyError('BadRequest'));
    });
    await service.start();
    await send({ connectionId: 'edge-b.c1', type: 'ping' });
    await waitFor('handled', () => results.length === 2);
    expect(results).toEqual([false, false]);
    // A reply with an id sent afterwards is the first thing edge-b sees.
    await service.reply({ connectionId: 'edge-b.c1', requestId: 'r9', type: 'ping' } as never, 'pong', '');
    await waitFor('explicit reply', () => edgeB.length === 1);
    expect(edgeB[0]!.reply?.requestId).toBe('r9');
  });

  it('logs and acks malformed bytes once, then handles the next message of the same key', async () => {
    const handled: string[] = [];
    const service = make().on('chat.send', (m) => void handled.push(text(m.payload)));
    await service.start();
    await client.publishWork('chat', 'room-1', new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x08]));
    await send({ connectionId: 'edge-a.c1', type: 'chat.send', payload: utf8('after'), key: 'room-1' });
    // Same key, ordered: the good message runs only once the malformed one has been settled.
    await waitFor('next message handled', () => handled.length === 1);
    expect(handled).toEqual(['after']);
    expect(warnings('malformed')).toHaveLength(1);
    const metrics = await service.metrics.getSingleMetricAsString('switchboard_service_messages_total');
    expect(metrics).toContain('type="_malformed",outcome="malformed"} 1');
  });

  it('acks unknown types, warns once per type and answers a request with BadRequest', async () => {
    const handled: string[] = [];
    const service = make().on('known', (m) => void handled.push(m.type));
    await service.start();
    await send({ connectionId: 'edge-a.c1', type: 'nope', requestId: 'r1', key: 'k' });
    await send({ connectionId: 'edge-a.c1', type: 'nope', requestId: 'r2', key: 'k' });
    await send({ connectionId: 'edge-a.c1', type: 'known', key: 'k' });
    await waitFor('known handled', () => handled.length === 1);
    await waitFor('two error replies', () => edgeA.length === 2);
    expect(edgeA.map((d) => [d.reply?.requestId, d.reply?.error?.code])).toEqual([
      ['r1', ErrorCodes.BadRequest.wire],
      ['r2', ErrorCodes.BadRequest.wire],
    ]);
    expect(warnings('no handler')).toHaveLength(1);
  });

  it('refuses a client-originated Inbound for an internal type (NotCallable), unhandled; edges and backends pass', async () => {
    const handled: string[] = [];
    const service = make()
      .on('chat.publish', (m) => void handled.push(`internal:${m.inbound.origin}`))
      .on('chat.send', (m) => void handled.push(`callable:${m.inbound.origin}`), { clientCallable: true });
    await service.start();
    const client = (type: string, requestId: string) =>
      send({ connectionId: 'edge-a.c1', type, requestId, key: 'k', origin: Origin.ORIGIN_CLIENT });
    await client('chat.publish', 'r1');
    await send({ connectionId: 'edge-a.c1', type: 'chat.publish', key: 'k', origin: Origin.ORIGIN_EDGE });
    await send({ type: 'chat.publish', key: 'k' }); // a backend: no origin
    await client('chat.send', 'r2');
    await waitFor('three handled', () => handled.length === 3);
    expect(handled).toEqual([
      `internal:${Origin.ORIGIN_EDGE}`,
      `internal:${Origin.ORIGIN_BACKEND}`,
      `callable:${Origin.ORIGIN_CLIENT}`,
    ]);
    await waitFor('refusal reply', () => edgeA.length === 1);
    expect([edgeA[0]!.reply?.requestId, edgeA[0]!.reply?.error?.code, edgeA[0]!.service]).toEqual([
      'r1',
      ErrorCodes.NotCallable.wire,
      'chat',
    ]);
    const metrics = await service.metrics.getSingleMetricAsString('switchboard_service_messages_total');
    expect(metrics).toContain('type="chat.publish",outcome="not_callable"} 1');
  });

  it('answers BadRequest and acks when the payload decoder refuses the payload', async () => {
    const handled: unknown[] = [];
    const service = make().on('chat.send', (m) => void handled.push(m.payload), { decode: json() });
    await service.start();
    await send({ connectionId: 'edge-a.c1', type: 'chat.send', payload: utf8('{not json'), requestId: 'r1' });
    await send({ connectionId: 'edge-a.c1', type: 'chat.send', payload: utf8('{"a":1}'), requestId: 'r2' });
    await waitFor('good one handled', () => handled.length === 1);
    await waitFor('error reply', () => edgeA.length === 1);
    expect(handled).toEqual([{ a: 1 }]);
    expect([edgeA[0]!.reply?.requestId, edgeA[0]!.reply?.error?.code]).toEqual([
      'r1',
      ErrorCodes.BadRequest.wire,
    ]);
  });

  it('retries a throwing handler and dead-letters it after maxAttempts, answering Internal', async () => {
    const attempts: number[] = [];
    const letters: DeadLetter[] = [];
    const service = make({ maxAttempts: 3 }).on('chat.send', (m) => {
      attempts.push(m.attempt);
      throw new Error('store down');
    });
    await service.start();
    await connect().consumeDeadLetters('chat', 'chat', async (letter) => void letters.push(letter));
    await send({ connectionId: 'edge-a.c1', type: 'chat.send', requestId: 'r1', key: 'room-1' });
    await waitFor('dead letter', () => letters.length === 1);
    expect(attempts).toEqual([1, 2, 3]);
    expect([letters[0]!.attempts, letters[0]!.error, letters[0]!.key]).toEqual([3, 'store down', 'room-1']);
    await waitFor('internal error reply', () => edgeA.length === 1);
    expect([edgeA[0]!.reply?.requestId, edgeA[0]!.reply?.error?.code]).toEqual([
      'r1',
      ErrorCodes.Internal.wire,
    ]);
    const metrics = await service.metrics.getSingleMetricAsString('switchboard_service_messages_total');
    expect(metrics).toContain('type="chat.send",outcome="error"} 2');
    expect(metrics).toContain('type="chat.send",outcome="dead_lettered"} 1');
  });

  it('stop() waits for the in-flight handler; what arrives meanwhile goes to another instance', async () => {
    const events: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = make().on('job', async (m) => {
      events.push(`first:start:${text(m.payload)}`);
      await gate;
      events.push(`first:end:${text(m.payload)}`);
    });
    await first.start();
    await send({ connectionId: 'edge-a.c1', type: 'job', payload: utf8('1'), key: 'a' });
    await waitFor('handler started', () => events.length === 1);

    let stopped = false;
    const stopping = first.stop().then(() => {
      stopped = true;
      events.push('first:stopped');
    });
    expect(first.ready).toBe(false);
    expect((await get(first.httpPort!, '/readyz')).status).toBe(503);
    await send({ connectionId: 'edge-a.c1', type: 'job', payload: utf8('2'), key: 'b' });
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);

    open();
    await stopping;
    expect(events).toEqual(['first:start:1', 'first:end:1', 'first:stopped']);

    const second = make().on('job', (m) => void events.push(`second:${text(m.payload)}`));
    await second.start();
    await waitFor('parked message handled by the next instance', () => events.includes('second:2'));
    expect(events.filter((e) => e.endsWith(':1'))).toEqual(['first:start:1', 'first:end:1']);
  });

  it('stop() gives up on a stuck handler after stopTimeoutMs and hands its message back', async () => {
    const events: string[] = [];
    const stuck = make({ stopTimeoutMs: 50 }).on('job', async () => {
      events.push('stuck:start');
      await new Promise(() => undefined);
    });
    await stuck.start();
    await send({ connectionId: 'edge-a.c1', type: 'job', key: 'a' });
    await waitFor('stuck handler started', () => events.length === 1);
    await stuck.stop();
    expect(warnings('stop deadline')).toHaveLength(1);
    const next = make().on('job', (m) => void events.push(`next:redelivered=${m.redelivered}`));
    await next.start();
    await waitFor('redelivered', () => events.length === 2);
    expect(events).toEqual(['stuck:start', 'next:redelivered=true']);
  });

  it('serves /healthz, /readyz and /metrics with counters and the duration histogram', async () => {
    const service = make().on('chat.send', () => undefined);
    await service.start();
    await send({ connectionId: 'edge-a.c1', type: 'chat.send' });
    await send({ connectionId: 'edge-a.c1', type: 'chat.send' });
    const port = service.httpPort!;
    let body = '';
    await waitFor('metrics count both messages', async () => {
      body = (await get(port, '/metrics')).body;
      return body.includes('outcome="ok"} 2');
    });
    expect(body).toContain(
      'switchboard_service_messages_total{service="chat",type="chat.send",outcome="ok"} 2',
    );
    expect(body).toContain(
      'switchboard_service_handler_duration_seconds_count{service="chat",type="chat.send"} 2',
    );
    expect(body).toContain('switchboard_service_errors_total');
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: '{"status":"ok","service":"chat"}' });
    expect((await get(port, '/readyz')).status).toBe(200);
    expect((await get(port, '/nope')).status).toBe(404);
    await service.stop();
    await expect(get(port, '/healthz')).rejects.toThrow();
  });

  it('delivers lifecycle events to every service group, each once', async () => {
    const chat: LifecycleEvent[] = [];
    const presence: LifecycleEvent[] = [];
    await make({ httpPort: false })
      .onLifecycle((event) => void chat.push(event))
      .start();
    await make({ name: 'presence', httpPort: false })
      .onLifecycle((event) => void presence.push(event))
      .start();
    const event = encodeLifecycleEvent({
      nodeId: 'edge-a',
      timeMs: 1,
      connectionOpened: { connectionId: 'edge-a.c1', userId: 'alice' },
    });
    await client.publishWork('lifecycle', 'edge-a.c1', event);
    await client.publishWork('lifecycle', 'edge-a.c1', new Uint8Array([0xff, 0xff]));
    await waitFor('both groups got it', () => chat.length === 1 && presence.length === 1);
    expect(chat[0]!.connectionOpened?.userId).toBe('alice');
    expect(presence[0]!.event).toBe('connectionOpened');
    await waitFor('malformed event warned by both', () => warnings('malformed lifecycle').length === 2);
  });

  it('hands an edge batch of lifecycle events to the handlers one by one, in order', async () => {
    const seen: LifecycleEvent[] = [];
    await make({ name: 'presence', httpPort: false })
      .onLifecycle((event) => void seen.push(event))
      .start();
    const events = Array.from({ length: 50 }, (_, i) => ({
      timeMs: i + 1,
      ...(i % 2 === 0
        ? { connectionOpened: { connectionId: `edge-a.c${i}`, userId: 'alice' } }
        : { subscribed: { connectionId: `edge-a.c${i - 1}`, userId: 'alice', channel: 'news' } }),
    }));
    await client.publishWork(
      'lifecycle',
      'edge-a',
      encodeLifecycleEvent({ nodeId: 'edge-a', timeMs: 99, batch: { events } }),
    );
    await waitFor('every event of the batch', () => seen.length === events.length);
    expect(seen.map((e) => e.event)).toEqual(
      events.map((_, i) => (i % 2 === 0 ? 'connectionOpened' : 'subscribed')),
    );
    expect(seen.map((e) => e.timeMs)).toEqual(events.map((e) => e.timeMs));
    expect(new Set(seen.map((e) => e.nodeId))).toEqual(new Set(['edge-a']));
  });

  it('refuses bad names, duplicate handlers and registration after start', async () => {
    expect(() => make({ name: 'bad name' })).toThrow(ServiceKitError);
    expect(() => make({ httpPort: 70_000 })).toThrow(/httpPort/);
    const service = make().on('a', () => undefined);
    expect(() => service.on('a', () => undefined)).toThrow(/already registered/);
    await service.start();
    expect(() => service.on('b', () => undefined)).toThrow(/before start/);
    expect(() => service.onLifecycle(() => undefined)).toThrow(/before start/);
    await expect(service.start()).rejects.toThrow(/start\(\) on a service that is running/);
    await service.stop();
    await expect(service.start()).rejects.toThrow(/start\(\) on a service that is stopped/);
  });
});
