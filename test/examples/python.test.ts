/**
 * The Python examples (examples/python, issue 14) against a real Switchboard on each bus: RabbitMQ, Kafka and
 * Redis, each with a stack of its own (test/services/stack.ts: edges, history, notifications, …). The Python
 * publish scripts run as child processes and a WebSocket client of the edge (the TS test client) must
 * receive exactly what they published: content, order and count; durable publications with consecutive
 * offsets; the user push; the order notification (deduplicated by event id). The Python WebSocket client
 * is disconnected by a backend (a Python `disconnect`) while durable publications go on, and must recover
 * exactly the missed ones through `since`. The golden vectors and the continuity rule are checked too.
 *
 * Python, its packages or protoc missing fails the suite with the apt-get line (CI installs them).
 * "Nothing else arrived" is shown by a barrier published after the thing under test on the same route.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { KafkaTransport } from '../../packages/bus/src/kafka/index.js';
import { RedisTransport } from '../../packages/bus/src/redis/index.js';
import type { ServerFrame } from '../../packages/protocol/src/index.js';
import { connect, SECRET, subscribe, type TestClient } from '../../services/edge/src/testing/harness.js';
import { type MakeTransport, runId } from '../edge/edge-fixtures.js';
import { type Stack, startStack } from '../services/stack.js';
import {
  type KafkaHandle,
  type RabbitHandle,
  type RedisHandle,
  startKafka,
  startRabbit,
  startRedis,
} from '../support/brokers.js';
import { QUICK_GROUP_TIMINGS } from '../support/kafka-broker.js';
import { deleteQueues } from '../support/rabbitmq.js';
import { type PyEvent, PythonProcess, removeGenerated, requirePython, runPythonOk } from './python-runner.js';

/** The services' queues of the stack on RabbitMQ (fixed names: service name = topic = group). */
const STACK_QUEUE =
  /^sb\.(work|dlq)\.(chat\.chat|history\.history|orders\.notifications|lifecycle\.(notifications|presence)|presence\.presence|notifications\.notifications)(\.s\d+)?$/;

/** `news:` is durable on these edges as on an edge started with SWITCHBOARD_DURABLE_NAMESPACES=chat,news. */
const DURABLE_NAMESPACES = ['chat', 'news'];

/** How long the Python client waits before reconnecting after the backend's disconnect. */
const RECONNECT_DELAY_MS = 3_000;

const decoder = new TextDecoder();
const payloadOf = (bytes: Uint8Array | null | undefined) =>
  JSON.parse(decoder.decode(bytes ?? new Uint8Array()));

let rabbit: RabbitHandle | undefined;
let kafka: KafkaHandle | undefined;
let redis: RedisHandle | undefined;

beforeAll(async () => {
  await requirePython();
  const [r, k, d] = await Promise.allSettled([startRabbit(), startKafka(), startRedis()]);
  rabbit = r.status === 'fulfilled' ? r.value : undefined;
  kafka = k.status === 'fulfilled' ? k.value : undefined;
  redis = d.status === 'fulfilled' ? d.value : undefined;
  for (const result of [r, k, d]) if (result.status === 'rejected') throw result.reason;
});

afterAll(async () => {
  try {
    if (rabbit)
      await deleteQueues(
        rabbit.url,
        (await rabbit.listQueues()).filter((q) => STACK_QUEUE.test(q)),
      );
  } finally {
    await Promise.allSettled([rabbit?.stop(), kafka?.stop(), redis?.stop()]);
    removeGenerated();
  }
});

interface Bus {
  readonly name: 'amqp' | 'kafka' | 'redis';
  /** The publish script and the broker URL it is given. */
  readonly script: string;
  url(): string;
  readonly makeTransport: MakeTransport;
}

const BUSES: Bus[] = [
  {
    name: 'amqp',
    script: 'publish_amqp.py',
    url: () => started(rabbit, 'RabbitMQ').url,
    makeTransport: (name) =>
      AmqpTransport.connect({
        url: started(rabbit, 'RabbitMQ').url,
        connectionName: name,
        reconnectMaxMs: 1_000,
      }),
  },
  {
    name: 'kafka',
    script: 'publish_kafka.py',
    url: () => started(kafka, 'Kafka').brokers.join(','),
    makeTransport: async (name) =>
      new KafkaTransport({
        brokers: started(kafka, 'Kafka').brokers,
        clientId: name,
        ...QUICK_GROUP_TIMINGS,
      }),
  },
  {
    name: 'redis',
    script: 'publish_redis.py',
    url: () => started(redis, 'Redis').url,
    makeTransport: (name) =>
      RedisTransport.connect({
        url: started(redis, 'Redis').url,
        connectionName: name,
        visibilityTimeoutMs: 5_000,
      }),
  },
];

function started<T>(handle: T | undefined, name: string): T {
  if (!handle) throw new Error(`${name} is not started`);
  return handle;
}

const publications = (client: TestClient, channel: string) =>
  client.frames.filter((f) => f.kind === 'publication' && f.publication?.channel === channel);
const pushes = (client: TestClient) => client.frames.filter((f) => f.kind === 'push');

/** Waits until `client` holds `count` frames matching `select`, and returns them. */
async function collect(client: TestClient, select: (c: TestClient) => ServerFrame[], count: number) {
  await expect
    .poll(() => select(client).length, { timeout: 30_000, interval: 50 })
    .toBeGreaterThanOrEqual(count);
  return select(client);
}

describe.each(BUSES)('Python examples on $name', (bus) => {
  const run = runId();
  let stack: Stack | undefined;
  const url = () => (stack as Stack).nodes[0].url;
  const publish = (...args: string[]) => runPythonOk(bus.script, ['--url', bus.url(), ...args]);
  const clients: TestClient[] = [];
  const client = async (user: string) => {
    const opened = await connect(url(), user);
    clients.push(opened.client);
    return opened.client;
  };

  beforeAll(async () => {
    stack = await startStack(`py-${bus.name}`, bus.makeTransport, run, undefined, {
      durableNamespaces: DURABLE_NAMESPACES,
    });
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await stack?.close();
  });

  it('publishes ephemeral channel publications: exact content, order and count', async () => {
    const channel = `live-${run}`;
    const subscriber = await client(`py-sub-${run}`);
    expect((await subscribe(subscriber, 1, channel)).kind).toBe('subscribed');

    const data = ['{"n":1,"text":"héllo"}', '{"n":2}', '{"n":3,"last":true}'];
    await publish(
      'channel',
      '--channel',
      channel,
      '--type',
      'news.posted',
      ...data.flatMap((d) => ['--data', d]),
    );

    const got = await collect(subscriber, (c) => publications(c, channel), 3);
    // The third is the last publication of the script on this route: nothing may come before or between.
    expect(got.map((f) => payloadOf(f.publication?.payload))).toEqual(data.map((d) => JSON.parse(d)));
    for (const f of got) {
      expect(f.publication?.type).toBe('news.posted');
      expect(Number(f.publication?.offset)).toBe(0); // ephemeral: no offset
      expect(f.publication?.epoch).toBe('');
    }
  });

  it('publishes durable channel publications: stored with consecutive offsets in one epoch', async () => {
    const channel = `news:durable-${run}`;
    const subscriber = await client(`py-dur-${run}`);
    const answer = await subscribe(subscriber, 1, channel);
    expect(answer.subscribed?.durable).toBe(true);
    const top = Number(answer.subscribed?.position?.offset ?? 0);

    await publish(
      'channel',
      '--durable',
      '--channel',
      channel,
      '--type',
      'news.posted',
      '--data',
      '{"n":1}',
      '--data',
      '{"n":2}',
    );
    await publish(
      'channel',
      '--durable',
      '--channel',
      channel,
      '--type',
      'news.updated',
      '--data',
      '{"n":3}',
    );

    const got = await collect(subscriber, (c) => publications(c, channel), 3);
    expect(
      got.map((f) => [Number(f.publication?.offset), f.publication?.type, payloadOf(f.publication?.payload)]),
    ).toEqual([
      [top + 1, 'news.posted', { n: 1 }],
      [top + 2, 'news.posted', { n: 2 }],
      [top + 3, 'news.updated', { n: 3 }],
    ]);
    const epochs = new Set(got.map((f) => f.publication?.epoch));
    expect(epochs.size).toBe(1);
    expect([...epochs][0]).not.toBe('');
  });

  it('pushes to a user: every push to that user, none to another', async () => {
    const alice = await client(`py-alice-${run}`);
    const bob = await client(`py-bob-${run}`);

    await publish(
      'user',
      '--user',
      `py-alice-${run}`,
      '--type',
      'invoice.ready',
      '--data',
      '{"invoice":"i-1"}',
      '--data',
      '{"invoice":"i-2"}',
    );
    // Bob's barrier: published after Alice's pushes, it is the only push Bob may see.
    await publish('user', '--user', `py-bob-${run}`, '--type', 'barrier', '--data', '{}');

    const got = await collect(alice, pushes, 2);
    expect(got.map((f) => [f.push?.type, payloadOf(f.push?.payload), f.push?.requiresAck])).toEqual([
      ['invoice.ready', { invoice: 'i-1' }, false],
      ['invoice.ready', { invoice: 'i-2' }, false],
    ]);
    expect(new Set(got.map((f) => f.push?.id)).size).toBe(2);
    expect((await collect(bob, pushes, 1)).map((f) => f.push?.type)).toEqual(['barrier']);
  });

  it('publishes an order event: one notification per event id, pushed to the user', async () => {
    const user = `py-buyer-${run}`;
    const buyer = await client(user);
    const eventId = `evt-${run}`;
    const shipped = [
      'order',
      '--user',
      user,
      '--order',
      `o-${run}`,
      '--kind',
      'shipped',
      '--event-id',
      eventId,
    ];
    await publish(...shipped, '--details', '{"carrier":"DHL","trackingNumber":"1Z999"}');
    // The same event again (a retry): the notifications service must not notify twice.
    await publish(...shipped, '--details', '{"carrier":"DHL","trackingNumber":"1Z999"}');
    // Barrier: a later event for the same user (same key, so handled after both).
    await publish(
      'order',
      '--user',
      user,
      '--order',
      `o-${run}`,
      '--kind',
      'delivered',
      '--details',
      '{"signedBy":"Ann"}',
    );

    const got = await collect(buyer, pushes, 2);
    expect(got.map((f) => [f.push?.type, payloadOf(f.push?.payload).orderId, f.push?.requiresAck])).toEqual([
      ['order.shipped', `o-${run}`, true],
      ['order.delivered', `o-${run}`, true],
    ]);
  });

  it('backend_example.py (the README snippet) reaches a channel, a durable channel and a user', async () => {
    const user = `py-backend-${run}`;
    const [channel, room] = [`plain-${run}`, `news:room-${run}`];
    const reader = await client(user);
    await subscribe(reader, 1, channel);
    const durable = await subscribe(reader, 2, room);
    await runPythonOk('backend_example.py', [bus.url(), user, channel, room]);

    const [plain] = await collect(reader, (c) => publications(c, channel), 1);
    expect([plain?.publication?.type, payloadOf(plain?.publication?.payload)]).toEqual([
      'news.posted',
      { title: 'Hi' },
    ]);
    const [stored] = await collect(reader, (c) => publications(c, room), 1);
    expect(Number(stored?.publication?.offset)).toBe(Number(durable.subscribed?.position?.offset ?? 0) + 1);
    expect(payloadOf(stored?.publication?.payload)).toEqual({ text: 'Hi' });
    const [push] = await collect(reader, pushes, 1);
    expect([push?.push?.type, payloadOf(push?.push?.payload)]).toEqual(['invoice.ready', { invoice: 'i-1' }]);
  });

  it('runs the Python WebSocket client: receives, is disconnected, recovers exactly the missed publications', async () => {
    const channel = `news:ws-${run}`;
    const user = `py-ws-${run}`;
    // A TS subscriber on the same channel tells when the history service has stored a publication.
    const watcher = await client(`py-watch-${run}`);
    await subscribe(watcher, 1, channel);

    const python = new PythonProcess('ws_client.py', [
      '--url',
      url(),
      '--secret',
      SECRET,
      '--user',
      user,
      '--channel',
      channel,
      '--count',
      '6',
      '--timeout',
      '60',
      '--fail-on-loss',
    ]);
    try {
      await python.next((e) => e.event === 'subscribed');
      await publish(
        'channel',
        '--durable',
        '--channel',
        channel,
        '--type',
        'news.posted',
        '--data',
        '{"n":1}',
        '--data',
        '{"n":2}',
        '--data',
        '{"n":3}',
      );
      await python.next((e) => e.event === 'publication' && e.offset === 3);

      // The backend closes the client's socket (3003, reconnect after a delay) and publishes while it is away.
      await publish(
        'disconnect',
        '--user',
        user,
        '--reason',
        'test',
        '--delay-ms',
        String(RECONNECT_DELAY_MS),
      );
      const gone = await python.next((e) => e.event === 'disconnected');
      expect(gone).toMatchObject({ code: 3003, reconnect: true, reconnectInMs: RECONNECT_DELAY_MS });
      await publish(
        'channel',
        '--durable',
        '--channel',
        channel,
        '--type',
        'news.posted',
        '--data',
        '{"n":4}',
        '--data',
        '{"n":5}',
        '--data',
        '{"n":6}',
      );
      // Stored (the watcher saw offset 6) before the client is back: they can only come by recovery.
      await collect(watcher, (c) => publications(c, channel), 6);
      expect(python.events.filter((e) => e.event === 'connected')).toHaveLength(1);

      expect(await python.exited, python.describe()).toBe(0);
    } finally {
      await python.stop();
    }

    const seen = python.events.filter((e) => e.event === 'publication');
    expect(seen.map((e) => [e.offset, (e.data as { n: number }).n, e.via])).toEqual([
      [1, 1, 'live'],
      [2, 2, 'live'],
      [3, 3, 'live'],
      [4, 4, 'recovery'],
      [5, 5, 'recovery'],
      [6, 6, 'recovery'],
    ]);
    expect(new Set(seen.map((e) => e.epoch)).size).toBe(1);
    const subscribes = python.events.filter((e) => e.event === 'subscribed');
    expect(subscribes.map((e) => [e.wasRecovering, e.recovered])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(python.events.filter((e: PyEvent) => e.event === 'lost' || e.event === 'gap')).toEqual([]);
  });

  it('the Python WebSocket client stops when the edge refuses its token (no reconnect loop)', async () => {
    const python = new PythonProcess('ws_client.py', [
      '--url',
      url(),
      '--secret',
      'not-the-edge-secret-but-long-enough-for-hs256',
      '--user',
      `py-bad-${run}`,
      '--channel',
      `news:bad-${run}`,
      '--timeout',
      '30',
    ]);
    try {
      expect(await python.exited, python.describe()).toBe(1);
    } finally {
      await python.stop();
    }
    expect(python.events.map((e) => [e.event, e.code])).toEqual([
      ['error', 110],
      ['disconnected', 3500],
    ]);
  });
});

describe('Python protocol checks', () => {
  it('the golden vectors hold with the Python protobuf classes and json_format', async () => {
    const golden = JSON.parse(
      readFileSync(new URL('../../proto/testdata/frames.json', import.meta.url), 'utf8'),
    );
    const { stdout } = await runPythonOk('check_vectors.py', []);
    expect(stdout).toContain(
      `${golden.vectors.length} vectors and ${golden.invalidJson.length} invalid texts checked, 0 failed`,
    );
  });

  it('the continuity rule of the Python client passes its unit tests', async () => {
    const { stderr } = await runPythonOk('test_continuity.py', []);
    expect(stderr).toMatch(/^Ran \d+ tests/m);
    expect(stderr).toMatch(/^OK$/m);
  });
});
