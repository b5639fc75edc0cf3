/**
 * Smoke check of test/support/containers.ts on the current engine (Docker, or Podman after
 * test/images/setup-podman.sh): starts RabbitMQ, Kafka and Redis through testcontainers, connects to each,
 * restarts RabbitMQ and Kafka and checks a durable queue / a topic survived, then removes them all.
 *
 *   pnpm exec tsx test/images/smoke.ts
 *
 * Not a vitest file on purpose: `pnpm test` wires the containers into the suites instead.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Amqp from '../../packages/bus/node_modules/@types/amqplib/index.js';
import type * as KafkaJs from '../../packages/bus/node_modules/kafkajs/types/index.js';
import {
  type ContainerHandle,
  startKafkaContainer,
  startRabbitContainer,
  startRedisContainer,
} from '../support/containers.js';

// amqplib and kafkajs are dependencies of packages/bus only, so they are loaded from there.
const busRequire = createRequire(
  join(fileURLToPath(new URL('.', import.meta.url)), '../../packages/bus/package.json'),
);
const amqp = busRequire('amqplib') as typeof Amqp;
const { Kafka, logLevel } = busRequire('kafkajs') as typeof KafkaJs;

/** Every container started, stopped at the end whatever happened. */
const handles: ContainerHandle[] = [];
const QUEUE = 'smoke.durable';
const TOPIC = 'smoke-topic';

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const result = await work();
  console.log(`[smoke] ${label}: ${Date.now() - t0} ms`);
  return result;
}

async function rabbit(): Promise<void> {
  const broker = await timed('rabbitmq start-to-ready', startRabbitContainer);
  handles.push(broker);
  const connection = await amqp.connect(broker.url);
  const channel = await connection.createChannel();
  await channel.assertQueue(QUEUE, { durable: true });
  channel.sendToQueue(QUEUE, Buffer.from('kept'), { persistent: true });
  await channel.close();
  await connection.close();
  assert.ok((await broker.listQueues()).includes(QUEUE), 'listQueues shows the durable queue');

  await timed('rabbitmq restart', broker.restart);
  const again = await amqp.connect(broker.url);
  const channel2 = await again.createChannel();
  const message = await channel2.get(QUEUE, { noAck: true });
  assert.ok(message, 'the persistent message survived the restart');
  assert.equal(message.content.toString(), 'kept');
  await again.close();
  console.log(`[smoke] rabbitmq ok: ${broker.url} (durable queue and message kept across restart)`);
}

async function kafka(): Promise<void> {
  const broker = await timed('kafka start-to-ready', startKafkaContainer);
  handles.push(broker);
  const client = new Kafka({ clientId: 'smoke', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  assert.equal(cluster.brokers.length, 1);
  const advertised = `${cluster.brokers[0]?.host}:${cluster.brokers[0]?.port}`;
  assert.equal(advertised, broker.brokers[0], 'the advertised listener is the address the test dials');
  await admin.createTopics({
    topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();

  await timed('kafka restart', broker.restart);
  const admin2 = client.admin();
  await admin2.connect();
  assert.ok((await admin2.listTopics()).includes(TOPIC), 'the topic survived the restart');
  await admin2.disconnect();
  console.log(
    `[smoke] kafka ok: ${broker.brokers.join(',')} advertises ${advertised} (topic kept across restart)`,
  );
}

async function redis(): Promise<void> {
  const broker = await timed('redis start-to-ready', startRedisContainer);
  handles.push(broker);
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(broker.port, broker.host, () => socket.write('PING\r\n'));
    socket.setTimeout(5_000, () => socket.destroy(new Error('redis did not answer PING')));
    socket.once('data', (data) => {
      resolve(data.toString());
      socket.end();
    });
    socket.once('error', reject);
  });
  assert.equal(reply, '+PONG\r\n');
  console.log(`[smoke] redis ok: ${broker.url} answered +PONG`);
}

let failed = false;
try {
  // One after another: the machine is small and the brokers are slow to start side by side.
  await rabbit();
  await kafka();
  await redis();
} catch (error) {
  failed = true;
  console.error(`[smoke] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await Promise.all(handles.map((h) => h.stop()));
}
console.log(failed ? '[smoke] failed' : '[smoke] all containers ok');
process.exitCode = failed ? 1 : 0;
