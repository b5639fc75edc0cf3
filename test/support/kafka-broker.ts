/**
 * A real Kafka broker for tests: KRaft 4.1.1, one process in broker+controller mode on two free loopback
 * ports, data in a fresh temp dir, logs in `<tmp>/kafka.log` (never in the test output).
 *
 * With env KAFKA_BROKERS set (comma separated), that broker is used instead and restart() refuses.
 * Jars come from `${XDG_CACHE_HOME:-~/.cache}/switchboard/kafka-4.1.1/libs`, fetched by
 * `test/support/kafka/prefetch.mjs` (Maven) when missing.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// kafkajs is a dependency of packages/bus only (not hoisted to the root), so it is loaded from there.
import type * as KafkaJs from '../../packages/bus/node_modules/kafkajs/types/index.js';
import { sleep } from './wait.js';

/**
 * KafkaTransport group timings for tests: rebalances (a member joining, leaving or stuck in a handler) take
 * seconds — the broker's minimum session timeout is 6 s — and idle consumers long-poll 250 ms, so they
 * notice a rebalance quickly.
 */
export const QUICK_GROUP_TIMINGS = {
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 8_000,
  heartbeatIntervalMs: 500,
  maxWaitTimeMs: 250,
  joinTimeoutMs: 30_000,
} as const;

export interface KafkaHandle {
  readonly brokers: string[];
  /** Crashes the broker (SIGKILL) and starts it again on the same ports and data; resolves when it answers. */
  restart(): Promise<void>;
  /** Stops the broker and removes its data. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const here = fileURLToPath(new URL('.', import.meta.url));
export const kafkajs = createRequire(join(here, '../../packages/bus/package.json'))(
  'kafkajs',
) as typeof KafkaJs;
const run = promisify(execFile);

export async function startKafkaProcess(): Promise<KafkaHandle> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    const brokers = external.split(',').map((broker) => broker.trim());
    await waitUntilAnswering(brokers, undefined, READY_TIMEOUT_MS);
    return {
      brokers,
      restart: async () => {
        throw new Error(`KAFKA_BROKERS=${external} is an external broker: the test cannot restart it`);
      },
      stop: async () => undefined,
    };
  }
  const libs = await fetchLibs();
  const [port = 0, controllerPort = 0] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-kafka-'));
  const config = join(dir, 'server.properties');
  writeFileSync(
    config,
    brokerProperties({
      nodeId: 1,
      port,
      controllerPort,
      voters: `1@127.0.0.1:${controllerPort}`,
      dataDir: join(dir, 'data'),
      copies: 1,
    }),
  );
  const classpath = `${libs}/*`;
  const { stdout: uuid } = await run('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid']);
  await run('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', uuid.trim(), '-c', config]);
  const brokers = [`127.0.0.1:${port}`];

  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawnBroker(classpath, config, dir);
    child = started;
    await waitUntilAnswering(brokers, started, READY_TIMEOUT_MS);
  };
  let stopped = false;
  try {
    await launch();
  } catch (error) {
    await kill(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    brokers,
    restart: async () => {
      if (stopped) throw new Error('the Kafka broker was stopped');
      await kill(child, 'SIGKILL');
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await kill(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BrokerSettings {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** `id@host:port` of every controller of the quorum. */
  readonly voters: string;
  readonly dataDir: string;
  /** Replicas of internal and default topics (1 alone, 3 in a cluster); min in-sync is one less, at least 1. */
  readonly copies: number;
}

/** server.properties of a KRaft node in combined broker+controller mode (one alone, or one of a cluster). */
export function brokerProperties(b: BrokerSettings): string {
  const minInsync = Math.max(1, b.copies - 1);
  return [
    'process.roles=broker,controller',
    `node.id=${b.nodeId}`,
    `controller.quorum.voters=${b.voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${b.port},CONTROLLER://127.0.0.1:${b.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${b.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${b.dataDir}`,
    'num.partitions=1',
    `default.replication.factor=${b.copies}`,
    `min.insync.replicas=${minInsync}`,
    `offsets.topic.replication.factor=${b.copies}`,
    // Few offset partitions: the first group coordinator lookup creates them all.
    'offsets.topic.num.partitions=4',
    `transaction.state.log.replication.factor=${b.copies}`,
    `transaction.state.log.min.isr=${minInsync}`,
    `share.coordinator.state.topic.replication.factor=${b.copies}`,
    `share.coordinator.state.topic.min.isr=${minInsync}`,
    'group.initial.rebalance.delay.ms=0',
    // Transports create their topics explicitly; a missing one is a bug to see, not to paper over.
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    '',
  ].join('\n');
}

export function spawnBroker(classpath: string, config: string, dir: string): ChildProcess {
  const out = openSync(join(dir, 'stdout.log'), 'a');
  const child = spawn(
    'java',
    [
      '-Xmx512m',
      '-Xms128m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(here, 'kafka', 'log4j2.properties')}`,
      `-Dkafka.log.file=${join(dir, 'kafka.log')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      config,
    ],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  // If the test process ends without stop() (a crash, Ctrl-C), do not leave a JVM behind.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  return child;
}

export async function fetchLibs(): Promise<string> {
  const { stdout } = await run(process.execPath, [join(here, 'kafka', 'prefetch.mjs')], {
    maxBuffer: 1 << 20,
  });
  const libs = stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(join(libs, '.complete')))
    throw new Error(`prefetch.mjs did not produce the Kafka jars: ${stdout}`);
  return libs;
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Polls the cluster metadata until the broker answers; fails early when the process exits. */
export async function waitUntilAnswering(
  brokers: string[],
  child: ChildProcess | undefined,
  timeoutMs: number,
  /** Brokers the cluster must report registered (a cluster's nodes register one by one). */
  registered = 1,
) {
  const kafka = new kafkajs.Kafka({
    clientId: 'switchboard-test-probe',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`the Kafka broker exited with code ${child.exitCode}: ${logTail(child)}`);
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length >= registered && cluster.controller !== null) return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(
    `the Kafka broker at ${brokers.join(',')} did not answer within ${timeoutMs} ms: ${lastError}`,
  );
}

function logTail(child: ChildProcess): string {
  const config = child.spawnargs.at(-1);
  if (!config) return '';
  const log = join(config, '..', 'stdout.log');
  return existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
}

export async function kill(child: ChildProcess | undefined, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  if (signal === 'SIGKILL') return exited;
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
