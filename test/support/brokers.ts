/**
 * The one place integration tests get their brokers from. Per broker, in this order:
 * 1. an explicit URL from the environment (`AMQP_URL`, `KAFKA_BROKERS`, `REDIS_URL`);
 * 2. `SWITCHBOARD_TEST_BROKERS=local`: processes on this machine — the host's RabbitMQ on 127.0.0.1:5672
 *    (started with `rabbitmq-server -detached` if down) and a Kafka 4.1.1 JVM the kit starts itself;
 * 3. otherwise (`auto`, the default, or `containers`): throwaway containers through testcontainers on
 *    whatever engine DOCKER_HOST / the default socket gives — official images with Docker, locally
 *    built ones with Podman (test/images/setup-podman.sh).
 * With no URL and no engine, start fails at once with a message naming every way.
 */
import { existsSync } from 'node:fs';
import { startKafkaContainer, startRabbitContainer, startRedisContainer } from './containers.js';
import { type KafkaHandle, startKafkaProcess } from './kafka-broker.js';
import { type RabbitHandle, startLocalRabbit } from './rabbitmq.js';

export type { KafkaHandle, RabbitHandle };

type Mode = 'auto' | 'containers' | 'local';

function mode(): Mode {
  const value = (process.env.SWITCHBOARD_TEST_BROKERS ?? 'auto').trim();
  if (value === 'auto' || value === 'containers' || value === 'local') return value;
  throw new Error(`SWITCHBOARD_TEST_BROKERS="${value}" is not one of auto, containers, local`);
}

const PODMAN_SOCKET = '/run/podman/podman.sock';

/**
 * testcontainers looks for Docker's socket only. When there is none but the Podman service that
 * test/images/setup-podman.sh starts is there, use it with the settings that setup prints, so that
 * `pnpm test` works without exporting anything after the setup ran once.
 */
function adoptPodmanSocket(): void {
  if (process.env.DOCKER_HOST || existsSync('/var/run/docker.sock') || !existsSync(PODMAN_SOCKET)) return;
  process.env.DOCKER_HOST = `unix://${PODMAN_SOCKET}`;
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

export async function startRabbit(): Promise<RabbitHandle> {
  if (process.env.AMQP_URL || mode() === 'local') return startLocalRabbit();
  adoptPodmanSocket();
  const container = await startRabbitContainer();
  return {
    url: container.url,
    restart: () => container.restart(),
    stop: () => container.stop(),
    listQueues: () => container.listQueues(),
  };
}

export async function startKafka(): Promise<KafkaHandle> {
  if (process.env.KAFKA_BROKERS || mode() === 'local') return startKafkaProcess();
  adoptPodmanSocket();
  const container = await startKafkaContainer();
  return {
    brokers: container.brokers,
    restart: () => container.restart(),
    stop: () => container.stop(),
  };
}

export interface RedisHandle {
  readonly url: string;
  /** Restarts the server (containers only: a Redis given by URL or on the host is not ours to restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Redis: `REDIS_URL`; with SWITCHBOARD_TEST_BROKERS=local the host's redis://127.0.0.1:6379; else a container. */
export async function startRedis(): Promise<RedisHandle> {
  const given = process.env.REDIS_URL ?? (mode() === 'local' ? 'redis://127.0.0.1:6379' : undefined);
  if (given) {
    return {
      url: given,
      restart: async () => {
        throw new Error(`Redis at ${given} is not started by the tests: it cannot be restarted by them`);
      },
      stop: async () => undefined,
    };
  }
  adoptPodmanSocket();
  const container = await startRedisContainer();
  return { url: container.url, restart: () => container.restart(), stop: () => container.stop() };
}
