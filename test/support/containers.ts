/**
 * Throwaway RabbitMQ, Kafka and Redis containers for tests, started through testcontainers on whatever
 * engine DOCKER_HOST (or the default socket) gives:
 *
 * - Docker (a developer's laptop): the official images `rabbitmq:3.13`, `apache/kafka:4.1.1`, `redis:7`.
 * - Podman (this Debian machine and CI, no registry): the local images built by
 *   `test/images/setup-podman.sh` — `localhost/switchboard-rabbitmq:3.10`, `-kafka:4.1.1`, `-redis:7`.
 *   Podman is recognised by its Docker-compatible `/version` answer ("Podman Engine" component).
 * - Any engine: SWITCHBOARD_RABBITMQ_IMAGE / SWITCHBOARD_KAFKA_IMAGE / SWITCHBOARD_REDIS_IMAGE override.
 *
 * These functions always start a container: callers that honour AMQP_URL / KAFKA_BROKERS / REDIS_URL check
 * those first. When no engine answers they fail fast with {@link ContainerEngineUnavailableError}.
 *
 * Each container's host port is chosen free up front and bound explicitly (not left to the engine), so
 * that restart() keeps the same host:port — Docker may hand out a new ephemeral port on restart — and so
 * that Kafka's advertised listener (host:port the tests dial) can be passed at create time.
 */
import { createServer } from 'node:net';
import {
  type ContainerRuntimeClient,
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';

export interface ContainerHandle extends AsyncDisposable {
  /** The image the container runs. */
  readonly image: string;
  /** Host and port to dial from the tests (stay the same across restart()). */
  readonly host: string;
  readonly port: number;
  /** Stops the broker gracefully and starts it again; resolves when it is ready. Data is kept. */
  restart(): Promise<void>;
  /** Removes the container and its data. Idempotent. */
  stop(): Promise<void>;
  /** Runs a command inside the container; rejects when it exits non-zero. Resolves to its stdout. */
  exec(command: string[]): Promise<string>;
}
export interface RabbitContainer extends ContainerHandle {
  /** amqp://guest:guest@host:port */
  readonly url: string;
  /** Names of every queue on the default vhost (`rabbitmqctl list_queues name` in the container). */
  listQueues(): Promise<string[]>;
}
export interface KafkaContainer extends ContainerHandle {
  /** [`host:port`] */
  readonly brokers: string[];
}
export interface RedisContainer extends ContainerHandle {
  /** redis://host:port */
  readonly url: string;
}

export type EngineKind = 'docker' | 'podman';

export const SETUP_SCRIPT = 'test/images/setup-podman.sh';
const PODMAN_ENV =
  'DOCKER_HOST=unix:///run/podman/podman.sock TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1';

/** No container engine answers: names both ways to give the tests their brokers. */
export class ContainerEngineUnavailableError extends Error {
  readonly code = 'SB_ERR_NO_CONTAINER_ENGINE';
  constructor(what: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot start ${what}: no container engine answers (${reason}). Either point the tests at running ` +
        'brokers with AMQP_URL / KAFKA_BROKERS / REDIS_URL (or SWITCHBOARD_TEST_BROKERS=local for the ' +
        "host's RabbitMQ and a Kafka process the kit starts), or run a Docker or Podman engine — on a Debian " +
        `machine without Docker, run \`sudo bash ${SETUP_SCRIPT}\` and export ${PODMAN_ENV}.`,
      { cause },
    );
    this.name = 'ContainerEngineUnavailableError';
  }
}

const ENGINE_TIMEOUT_MS = 15_000;
const STARTUP_TIMEOUT_MS = { rabbitmq: 120_000, kafka: 180_000, redis: 60_000 };
/** restart() lets the broker stop cleanly for this long before the engine kills it. */
const RESTART_GRACE_MS = 20_000;
const LABELS = { 'dev.switchboard.test': 'containers' };

interface Engine {
  client: ContainerRuntimeClient;
  kind: EngineKind;
}
let enginePromise: Promise<Engine> | undefined;

/** The container engine testcontainers finds, and whether it is Podman. Cached once it answers. */
export function containerEngine(what = 'a container'): Promise<Engine> {
  enginePromise ??= findEngine().catch((error: unknown) => {
    enginePromise = undefined;
    throw error;
  });
  return enginePromise.catch((error: unknown) => {
    throw new ContainerEngineUnavailableError(what, error);
  });
}

async function findEngine(): Promise<Engine> {
  const client = await withTimeout(
    getContainerRuntimeClient(),
    ENGINE_TIMEOUT_MS,
    'the engine did not answer',
  );
  let kind: EngineKind = /podman/i.test(process.env.DOCKER_HOST ?? '') ? 'podman' : 'docker';
  try {
    const version = await client.container.dockerode.version();
    const components = (version as { Components?: { Name?: string }[] }).Components ?? [];
    if (components.some((component) => /podman/i.test(component.Name ?? ''))) kind = 'podman';
  } catch {
    // keep the guess from DOCKER_HOST
  }
  return { client, kind };
}

function defaultImage(engine: Engine, official: string, local: string, envName: string): string {
  return process.env[envName]?.trim() || (engine.kind === 'podman' ? local : official);
}

interface Spec {
  name: keyof typeof STARTUP_TIMEOUT_MS;
  image: string;
  containerPort: number;
  ready: RegExp;
  environment?: (host: string, port: number) => Record<string, string>;
}

interface Started {
  image: string;
  host: string;
  port: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
  exec(command: string[]): Promise<string>;
}

async function start(engine: Engine, spec: Spec): Promise<Started> {
  if (
    spec.image.startsWith('localhost/') &&
    !(await engine.client.image.exists(ImageName.fromString(spec.image)))
  ) {
    throw new Error(
      `image ${spec.image} is not built on this ${engine.kind} engine: run \`sudo bash ${SETUP_SCRIPT}\` ` +
        '(or test/images/build.sh), or set SWITCHBOARD_*_IMAGE',
    );
  }
  const host = engine.client.info.containerRuntime.host;
  const began = Date.now();
  let container: StartedTestContainer | undefined;
  for (let attempt = 1; !container; attempt++) {
    const port = await freePort();
    const definition = new GenericContainer(spec.image)
      .withExposedPorts({ container: spec.containerPort, host: port })
      .withEnvironment(spec.environment?.(host, port) ?? {})
      .withLabels(LABELS)
      .withWaitStrategy(Wait.forLogMessage(spec.ready))
      .withStartupTimeout(STARTUP_TIMEOUT_MS[spec.name]);
    try {
      container = await definition.start();
    } catch (error) {
      // Another process took the port between choosing and binding it: choose again.
      if (attempt < 3 && /address already in use|port is already allocated/i.test(String(error))) continue;
      if (/ryuk/i.test(String(error)) && process.env.TESTCONTAINERS_RYUK_DISABLED !== 'true') {
        throw new Error(
          `cannot start testcontainers' Ryuk reaper (${String(error)}): without a registry, export ` +
            `TESTCONTAINERS_RYUK_DISABLED=true (see ${SETUP_SCRIPT})`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  const port = container.getMappedPort(spec.containerPort);
  console.log(
    `[containers] ${spec.name}: ${spec.image} on ${container.getHost()}:${port} ` +
      `(${engine.kind}, container ${container.getId().slice(0, 12)}, ready in ${Date.now() - began} ms)`,
  );
  const started = container;
  let stopped: Promise<void> | undefined;
  return {
    image: spec.image,
    host: container.getHost(),
    port,
    restart: async () => {
      if (stopped) throw new Error(`the ${spec.name} container was stopped`);
      const t0 = Date.now();
      await started.restart({ timeout: RESTART_GRACE_MS });
      const after = started.getMappedPort(spec.containerPort);
      if (after !== port) throw new Error(`${spec.name} restarted on port ${after} instead of ${port}`);
      console.log(
        `[containers] ${spec.name}: restarted on ${started.getHost()}:${port} in ${Date.now() - t0} ms`,
      );
    },
    stop: () => {
      stopped ??= started.stop().then(() => undefined);
      return stopped;
    },
    exec: async (command) => {
      const result = await started.exec(command);
      if (result.exitCode !== 0) {
        throw new Error(
          `${command.join(' ')} exited ${result.exitCode} in the ${spec.name} container: ${result.output}`,
        );
      }
      return result.stdout;
    },
  };
}

/** RabbitMQ with guest/guest on a free host port. */
export async function startRabbitContainer(): Promise<RabbitContainer> {
  const engine = await containerEngine('RabbitMQ');
  const image = defaultImage(
    engine,
    'rabbitmq:3.13',
    'localhost/switchboard-rabbitmq:3.10',
    'SWITCHBOARD_RABBITMQ_IMAGE',
  );
  const s = await start(engine, {
    name: 'rabbitmq',
    image,
    containerPort: 5672,
    ready: /Server startup complete/,
  });
  return {
    ...handle(s),
    url: `amqp://guest:guest@${formatHost(s.host)}:${s.port}`,
    listQueues: async () => {
      const out = await s.exec(['rabbitmqctl', '-q', 'list_queues', '--no-table-headers', 'name']);
      return out.split('\n').filter((line) => line.trim() !== '');
    },
  };
}

/** Single-node KRaft Kafka whose advertised listener is the host:port the tests dial. */
export async function startKafkaContainer(): Promise<KafkaContainer> {
  const engine = await containerEngine('Kafka');
  const image = defaultImage(
    engine,
    'apache/kafka:4.1.1',
    'localhost/switchboard-kafka:4.1.1',
    'SWITCHBOARD_KAFKA_IMAGE',
  );
  const s = await start(engine, {
    name: 'kafka',
    image,
    containerPort: 9092,
    // Logged by KafkaRaftServer in both the official image and ours.
    ready: /Kafka Server started/,
    // The environment the official apache/kafka image understands; test/images/kafka/start.sh reads it too.
    environment: (host, port) => ({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${formatHost(host)}:${port},BROKER://localhost:9093`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'BROKER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9094',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      // 50 offsets partitions (the default) make the group coordinator slow to load on a small test machine.
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '4',
      KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
      KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
    }),
  });
  return { ...handle(s), brokers: [`${formatHost(s.host)}:${s.port}`] };
}

/** Redis without auth or protected mode. */
export async function startRedisContainer(): Promise<RedisContainer> {
  const engine = await containerEngine('Redis');
  const image = defaultImage(engine, 'redis:7', 'localhost/switchboard-redis:7', 'SWITCHBOARD_REDIS_IMAGE');
  const s = await start(engine, {
    name: 'redis',
    image,
    containerPort: 6379,
    ready: /Ready to accept connections/,
  });
  return { ...handle(s), url: `redis://${formatHost(s.host)}:${s.port}` };
}

function handle(s: Started): ContainerHandle {
  return {
    image: s.image,
    host: s.host,
    port: s.port,
    restart: s.restart,
    stop: s.stop,
    exec: s.exec,
    [Symbol.asyncDispose]: s.stop,
  };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A TCP port free on this host right now (the engine binds it on all interfaces). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
