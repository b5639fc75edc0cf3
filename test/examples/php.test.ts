/**
 * Issue 14: the PHP examples (examples/php), written from docs/bus-contract.md alone, against a real
 * Switchboard — two edges, history, chat, notifications, presence (test/services/stack.ts) — on RabbitMQ and
 * on the Redis bus. The scripts run as child processes with Debian's php-cli; a WebSocket client (the SDK)
 * must receive exactly what they published: content, order and count, the durable publications with their
 * offsets, the pushes, and the notification made from the order event. The lifecycle consumer must print
 * the connect and disconnect of a client while presence, reading the same events in its own group, still
 * sees the client join and leave. And the golden-vector check passes with the PHP Protobuf classes.
 *
 * "Nothing else arrived" is shown with a barrier published after the scripts on the same path (as in
 * test/services/scenarios.ts), never with a sleep. When php or a package is missing the suite fails naming
 * the apt-get command (CI installs them in .ci/run).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { RedisTransport } from '../../packages/bus/src/redis/index.js';
import { Client, type Publication, type PushNotification } from '../../packages/client/src/index.js';
import { Publisher } from '../../packages/publisher/src/index.js';
import { sign } from '../../services/edge/src/testing/harness.js';
import type * as IoRedis from '../../services/history/node_modules/ioredis/built/index.js';
import { type MakeTransport, record, runId } from '../edge/edge-fixtures.js';
import { type Stack, startStack } from '../services/stack.js';
import { type RabbitHandle, type RedisHandle, startRabbit, startRedis } from '../support/brokers.js';
import { deleteQueues } from '../support/rabbitmq.js';
import { type PhpEnv, preparePhp } from './php-runner.js';

// ioredis is a dependency of the services only, so it is loaded from one of them (as stack.ts does).
const { Redis } = createRequire(new URL('../../services/history/package.json', import.meta.url))(
  'ioredis',
) as typeof IoRedis;

const decoder = new TextDecoder();
const text = (bytes: Uint8Array) => decoder.decode(bytes);
const run = runId();
/** The lifecycle consumer's group: one of its own, so it takes nothing from presence or notifications. */
const GROUP = `php-it-${run}`;

/** Durable queues the stack creates on RabbitMQ (fixed names: the services' groups), and the PHP group's. */
const SUITE_QUEUE = new RegExp(
  `^sb\\.(work|dlq)\\.(chat\\.chat|history\\.history|orders\\.notifications|lifecycle\\.(notifications|presence|${GROUP})|presence\\.presence|notifications\\.notifications)(\\.s\\d+)?$`,
);

let php: PhpEnv | undefined;
let rabbit: RabbitHandle | undefined;
let redis: RedisHandle | undefined;

beforeAll(async () => {
  php = await preparePhp();
  rabbit = await startRabbit();
  redis = await startRedis();
});

afterAll(async () => {
  try {
    if (rabbit)
      await deleteQueues(
        rabbit.url,
        (await rabbit.listQueues()).filter((q) => SUITE_QUEUE.test(q)),
      );
    if (redis) await destroyRedisGroup(redis.url);
  } finally {
    php?.dispose();
    await rabbit?.stop();
    await redis?.stop();
  }
});

/** The PHP consumer group on the lifecycle shard streams (a Redis given by URL outlives the run). */
async function destroyRedisGroup(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    for (const stream of await client.keys('sb:work:lifecycle:*')) {
      await client.xgroup('DESTROY', stream, GROUP).catch(() => undefined);
    }
  } finally {
    await client.quit();
  }
}

function env(): PhpEnv {
  if (!php) throw new Error('php is not prepared');
  return php;
}

it('check-vectors.php passes the golden vectors with the PHP Protobuf classes', async () => {
  const vectors = JSON.parse(
    readFileSync(new URL('../../proto/testdata/frames.json', import.meta.url), 'utf8'),
  ).vectors as { name: string }[];
  const result = await env().run('check-vectors.php', []);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = result.stdout.split('\n');
  // One "ok" line per vector, in the file's order, and none failed.
  expect(lines.filter((l) => l.startsWith('ok   ') && !l.includes('bus contract'))).toEqual(
    vectors.map((v) => `ok   ${v.name}`),
  );
  expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  expect(lines).toContain('ok   bus contract: 6 FNV-1a keys and the hashed AMQP routing key');
  expect(lines).toContain(`golden vectors: all ${vectors.length} vectors passed (56 checks)`);
});

/** The same scenarios on one bus: `busUrl` is what a PHP team passes as --bus / SWITCHBOARD_BUS. */
function phpOnBus(bus: 'amqp' | 'redis', busUrl: () => string, makeTransport: MakeTransport) {
  describe(`PHP examples on ${bus}`, () => {
    let stack: Stack;
    const clients: Client[] = [];

    beforeAll(async () => {
      stack = await startStack(`php-${bus}`, makeTransport, run, redis?.url);
    });
    afterAll(async () => {
      for (const client of clients) client.disconnect();
      await stack?.close();
    });

    /** A client of `user` on node `node`, with its connection id (an SDK client that we disconnect). */
    async function connect(node: 0 | 1, user: string) {
      const client = new Client(stack.nodes[node].url, {
        getToken: () => sign({ sub: user }, { expiresIn: '1h' }),
        timeoutMs: 30_000,
      });
      clients.push(client);
      const connected = record(client, 'connected');
      client.connect();
      const { connectionId } = await connected.next();
      return { client, connectionId };
    }

    const publish = async (...args: string[]) => {
      const result = await env().run('publish.php', ['--bus', busUrl(), ...args]);
      expect(result.stderr, `publish.php ${args.join(' ')}`).toBe('');
      expect(result.code).toBe(0);
      return result.stdout.trim().split('\n');
    };

    it('a client receives exactly what publish.php published: channel, durable channel, pushes, order', async () => {
      const user = `alice-${bus}-${run}`;
      const news = `news-${bus}-${run}`;
      const room = `chat:php-${bus}-${run}`;
      const orderId = `o-${run}`;
      const { client, connectionId } = await connect(0, user);
      const pushes = record(client, 'push');
      const newsSub = client.subscribe(news);
      const roomSub = client.subscribe(room);
      const newsPubs = record(newsSub, 'publication');
      const roomPubs = record(roomSub, 'publication');
      await Promise.all([record(newsSub, 'subscribed').next(), record(roomSub, 'subscribed').next()]);

      const ephemeral = ['{"n":1}', '{"n":2,"text":"héllo"}', '{"n":3}'];
      expect(await publish('channel', news, '--type', 'news.posted', ...ephemeral)).toEqual(
        ephemeral.map((json) => `published ephemeral news.posted to channel ${news}: ${json}`),
      );
      const durable = ['{"d":1}', '{"d":2}'];
      const durableLines = await publish('channel', room, '--durable', '--type', 'chat.message', ...durable);
      expect(durableLines.map((l) => l.replace(/\(publish id [0-9a-f-]{36}\)/, '(id)'))).toEqual(
        durable.map((json) => `published durable chat.message to channel ${room} (id): ${json}`),
      );
      expect(await publish('user', user, '--type', 'invoice.ready', '{"invoice":7}')).toHaveLength(1);
      expect(
        await publish('connection', connectionId, '--type', 'session.note', '{"only":"this tab"}'),
      ).toHaveLength(1);
      expect(await publish('all', '--type', 'maintenance', '{"at":"22:00"}')).toHaveLength(1);
      expect(
        await publish('order', user, orderId, 'created', '{"total_cents":4200,"currency":"EUR","items":2}'),
      ).toEqual([
        expect.stringMatching(
          new RegExp(
            `^sent order event created of order ${orderId} for user ${user} \\(event id [0-9a-f-]{36}\\)$`,
          ),
        ),
      ]);

      // A refused command publishes nothing and says why (the barriers below show nothing came of it).
      const refused = await env().run('publish.php', [
        '--bus',
        busUrl(),
        'order',
        user,
        orderId,
        'teleported',
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'order kind "teleported" is not one of created, paid, shipped, delivered, cancelled',
      );

      // Barriers on the same routes, published after the scripts returned (their publishes were confirmed).
      const barrier = new Publisher(await stack.transport(`barrier-${bus}`));
      await barrier.toChannel(news, 'barrier', { last: true });
      await barrier.toChannel(room, 'barrier', { last: true }, { durable: true });
      await barrier.toUser(user, 'barrier', { last: true });
      await newsPubs.next((p) => p.type === 'barrier');
      await roomPubs.next((p) => p.type === 'barrier');
      await pushes.next((p) => p.type === 'barrier');
      const order = await pushes.next((p) => p.type === 'order.created');

      const seen = (pubs: Publication[]) =>
        pubs.map((p) => ({ type: p.type, offset: p.offset, payload: text(p.payload) }));
      expect(seen(newsPubs.seen)).toEqual([
        ...ephemeral.map((payload) => ({ type: 'news.posted', offset: 0, payload })),
        { type: 'barrier', offset: 0, payload: '{"last":true}' },
      ]);
      // A fresh durable channel: the history service numbered them 1, 2, then the barrier 3.
      expect(seen(roomPubs.seen)).toEqual([
        { type: 'chat.message', offset: 1, payload: '{"d":1}' },
        { type: 'chat.message', offset: 2, payload: '{"d":2}' },
        { type: 'barrier', offset: 3, payload: '{"last":true}' },
      ]);
      expect(new Set(roomPubs.seen.map((p) => p.epoch)).size).toBe(1);

      // Pushes on different routes (user, connection, everyone, the notifications service) have no order
      // between them: compare as a sorted list, each exactly once.
      const got = (p: PushNotification) => ({
        type: p.type,
        payload: text(p.payload),
        requiresAck: p.requiresAck,
      });
      expect(
        pushes.seen
          .filter((p) => p.type !== 'order.created')
          .map(got)
          .sort((a, b) => a.type.localeCompare(b.type)),
      ).toEqual([
        { type: 'barrier', payload: '{"last":true}', requiresAck: false },
        { type: 'invoice.ready', payload: '{"invoice":7}', requiresAck: false },
        { type: 'maintenance', payload: '{"at":"22:00"}', requiresAck: false },
        { type: 'session.note', payload: '{"only":"this tab"}', requiresAck: false },
      ]);
      expect(pushes.seen.filter((p) => p.type === 'order.created')).toHaveLength(1);
      expect(order.requiresAck).toBe(true);
      expect(JSON.parse(text(order.payload))).toMatchObject({ type: 'order.created', orderId });
      expect(new Set(pushes.seen.map((p) => p.id)).size).toBe(pushes.seen.length);
    });

    if (bus === 'amqp') {
      it('a work message that no queue takes fails loudly instead of vanishing (mandatory + confirm)', async () => {
        const topic = `php-nobody-${run}`;
        const result = await env().runCode(
          "require 'lib/bootstrap.php'; require 'lib/messages.php'; require 'lib/bus.php';" +
            ' sb_connect_bus($argv[1])->publishWork($argv[2], "k", "body");',
          [busUrl(), topic],
        );
        expect(result.code).toBe(255); // an uncaught exception
        const output = result.stderr + result.stdout;
        expect(output).toMatch(new RegExp(`work ${topic}\\.\\d{1,2} \\(key k\\) was not accepted`));
        expect(output).toContain('no queue took it (312 NO_ROUTE');
      });
    }

    it('lifecycle.php prints the connect and disconnect of a client; presence still sees it join and leave', async () => {
      const consumer = env().start('lifecycle.php', ['--bus', busUrl(), '--group', GROUP]);
      try {
        await consumer.line(new RegExp(`^ready: reading lifecycle events on .* as group ${GROUP} `));
        const channel = `presence-php-${bus}-${run}`;
        const watcher = (await connect(0, `watcher-${bus}-${run}`)).client;
        const watched = watcher.subscribe(channel);
        const joins = record(watched, 'join');
        const leaves = record(watched, 'leave');
        await record(watched, 'subscribed').next();

        const user = `bob-${bus}-${run}`;
        const { client: bob, connectionId } = await connect(1, user);
        const node = connectionId.split('.')[0];
        const bobSub = bob.subscribe(channel);
        await record(bobSub, 'subscribed').next();
        await joins.next((j) => j.info?.connectionId === connectionId);
        bob.disconnect();
        await leaves.next((l) => l.info?.connectionId === connectionId);

        await consumer.line(new RegExp(`^disconnect user=${user} `));
        // One line per event of this connection, in order (its events are keyed by connection id). A close
        // ends every subscription of the connection: no unsubscribe event comes for them.
        expect(consumer.lines.filter((l) => l.includes(`connection=${connectionId}`))).toEqual([
          `connect    user=${user} connection=${connectionId} node=${node}`,
          `subscribe   user=${user} connection=${connectionId} channel=${channel}`,
          `disconnect user=${user} connection=${connectionId} node=${node} code=1000 reason="client disconnect"`,
        ]);

        // Gateway::closeClient from PHP: publish.php disconnect closes every connection of a user, and the
        // lifecycle consumer sees the edge's close code and the reason given.
        const banned = `carol-${bus}-${run}`;
        const { client: carol, connectionId: carolId } = await connect(0, banned);
        const gone = record(carol, 'disconnected');
        expect(await publish('disconnect', banned, '--reason', 'banned')).toEqual([
          `sent a disconnect to every connection of user ${banned} (must not reconnect)`,
        ]);
        expect(await gone.next()).toMatchObject({ code: 3502 });
        expect(await consumer.line(new RegExp(`^disconnect user=${banned} `))).toBe(
          `disconnect user=${banned} connection=${carolId} node=${carolId.split('.')[0]} code=3502 reason="banned"`,
        );
      } finally {
        const code = await consumer.stop();
        expect(consumer.stderr).toBe('');
        expect(code).toBe(0);
        expect(consumer.lines.at(-1)).toBe('stopped');
      }
    });
  });
}

phpOnBus(
  'amqp',
  () => rabbit?.url ?? '',
  (name) => {
    if (!rabbit) throw new Error('RabbitMQ is not started');
    return AmqpTransport.connect({ url: rabbit.url, connectionName: name, reconnectMaxMs: 1_000 });
  },
);

phpOnBus(
  'redis',
  () => redis?.url ?? '',
  (name) => {
    if (!redis) throw new Error('Redis is not started');
    return RedisTransport.connect({ url: redis.url, connectionName: name, visibilityTimeoutMs: 5_000 });
  },
);
