/**
 * A Kafka or Redis outage of a chosen length (issue 18): the broker's test container is stopped (SIGTERM,
 * as an operator's `docker stop`: Kafka shuts down in order, Redis saves its data set), stays stopped for
 * `downMs` (connections refused), and is started again on the same host port with its data (the container
 * is stopped, not removed). The outage is over once the broker answers its own protocol — Kafka its cluster
 * metadata with a controller, Redis a PING — not merely once the port accepts: an engine's port proxy may
 * accept while nothing listens behind it.
 *
 * RabbitMQ's outage is test/failover/broker-outage.ts (stop_app / start_app inside the container, without
 * the VM's boot; it finds that container with testContainer() below). The brokers of
 * SWITCHBOARD_TEST_BROKERS=local, KAFKA_BROKERS or REDIS_URL are not containers of the tests: the outage
 * refuses them, naming the way that works.
 *
 * Here in test/support, not test/failover, because broker tests outside the failover drills use it too
 * (the Redis bus conformance restart, the AMQP node-inbox deletion test).
 */
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// kafkajs is a dependency of packages/bus only (not hoisted to the root), so it is loaded from there.
import type * as KafkaJs from '../../packages/bus/node_modules/kafkajs/types/index.js';
import { containerEngine } from './containers.js';

/** When each part of an outage happened (Date.now() values); broker-outage.ts measures RabbitMQ's the same way. */
export interface OutageTimes {
  /** The broker was told to stop (its container, or RabbitMQ's stop_app). */
  readonly stopAt: number;
  /** The stop returned: connections closed, the port refuses. */
  readonly downAt: number;
  /** The broker was told to start again. */
  readonly startAt: number;
  /** It serves clients again (answers its protocol; for RabbitMQ, its AMQP port accepts). */
  readonly backAt: number;
}

/** The engine may let the broker shut down cleanly for this long, then kills it (Kafka's clean stop: seconds). */
const STOP_GRACE_MS = 20_000;
/** Start and recovery (Kafka reloads its logs, Redis its RDB file): generous, a stuck broker is named by the error. */
const BACK_TIMEOUT_MS = 120_000;

const here = fileURLToPath(new URL('.', import.meta.url));
const kafkajs = createRequire(join(here, '../../packages/bus/package.json'))('kafkajs') as typeof KafkaJs;

type Container = ReturnType<Awaited<ReturnType<typeof containerEngine>>['client']['container']['getById']>;

/**
 * The test container (labelled by test/support/containers.ts) that publishes `containerPort` on host port
 * `hostPort`; `what` and `fix` name the broker and the way out in the error when there is none.
 */
export async function testContainer(
  what: string,
  hostPort: number,
  containerPort: number,
  fix: string,
): Promise<{ engine: Awaited<ReturnType<typeof containerEngine>>; container: Container }> {
  const engine = await containerEngine(`the ${what} container`);
  const listed = await engine.client.container.list();
  const info = listed.find(
    (c) =>
      c.Labels?.['dev.switchboard.test'] === 'containers' &&
      (c.Ports ?? []).some((p) => p.PublicPort === hostPort && p.PrivatePort === containerPort),
  );
  if (!info)
    throw new Error(`no test container publishes ${what} on host port ${hostPort}: the outage needs ${fix}`);
  return { engine, container: engine.client.container.getById(info.Id) };
}

const NOT_OURS =
  "the broker's container from test/support/containers.ts (the default; not SWITCHBOARD_TEST_BROKERS=local, " +
  'KAFKA_BROKERS or REDIS_URL, whose brokers the tests do not own)';

/** The Kafka container publishing `broker` (`host:port`) down for `downMs`; back once the cluster answers. */
export function kafkaOutage(broker: string, downMs: number): Promise<OutageTimes> {
  return containerOutage('Kafka', portOf(broker), 9092, downMs, () => kafkaAnswers(broker));
}

/** The Redis container at `url` down for `downMs`; back once it answers PING. */
export function redisOutage(url: string, downMs: number): Promise<OutageTimes> {
  const { hostname, port } = new URL(url);
  const address = { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) };
  return containerOutage('Redis', address.port, 6379, downMs, () => redisAnswers(address));
}

async function containerOutage(
  what: string,
  hostPort: number,
  containerPort: number,
  downMs: number,
  answers: () => Promise<boolean>,
): Promise<OutageTimes> {
  const { engine, container } = await testContainer(what, hostPort, containerPort, NOT_OURS);
  const stopAt = Date.now();
  await engine.client.container.stop(container, { timeout: STOP_GRACE_MS });
  const downAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const startAt = Date.now();
  await engine.client.container.start(container);
  const deadline = Date.now() + BACK_TIMEOUT_MS;
  while (!(await answers())) {
    if (Date.now() > deadline)
      throw new Error(`${what} did not answer within ${BACK_TIMEOUT_MS} ms of its container's start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { stopAt, downAt, startAt, backAt: Date.now() };
}

function portOf(broker: string): number {
  const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`Kafka broker "${broker}" has no port`);
  return port;
}

/** One metadata round trip: the broker is up and has elected its (KRaft) controller. */
async function kafkaAnswers(broker: string): Promise<boolean> {
  const admin = new kafkajs.Kafka({
    clientId: 'switchboard-test-outage-probe',
    brokers: [broker],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** `+PONG` to a PING: Redis serves commands (while it loads its data set it answers `-LOADING`). */
function redisAnswers(address: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address);
    let reply = '';
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
