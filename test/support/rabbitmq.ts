/**
 * A RabbitMQ on this machine (not a container): `AMQP_URL` when set, else a local broker on 127.0.0.1:5672;
 * if nothing answers there, starts one with `rabbitmq-server -detached` (and stops it again in stop()).
 * restart() stops and starts the RabbitMQ application inside the running node (`rabbitmqctl stop_app` /
 * `start_app`), which drops every client connection but keeps durable queues and persistent messages.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type * as Amqplib from '../../packages/bus/node_modules/@types/amqplib/index.js';
import { portAccepts } from './ports.js';
import { sleep } from './wait.js';

// amqplib is a dependency of packages/bus only, so it is loaded from there.
const amqplib = createRequire(new URL('../../packages/bus/package.json', import.meta.url))(
  'amqplib',
) as typeof Amqplib;

const run = promisify(execFile);

export interface RabbitHandle {
  readonly url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Names of every queue on the broker's default vhost (`rabbitmqctl list_queues name`). */
  listQueues(): Promise<string[]>;
}

const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';
const STARTUP_TIMEOUT_S = 120;

export async function startLocalRabbit(): Promise<RabbitHandle> {
  const url = process.env.AMQP_URL ?? DEFAULT_URL;
  const { hostname, port } = new URL(url);
  const address = { host: hostname, port: Number(port || 5672) };
  let startedHere = false;
  if (!(await portAccepts(address))) {
    // The node may be up with its app stopped (another run's restart() in progress): then only wait.
    // Starting (and later stopping) it here would take the broker away from that run.
    if (!(await nodeRunning())) {
      await run('rabbitmq-server', ['-detached']);
      startedHere = true;
    }
    await awaitStartup();
    await waitUntilAnswering(address);
  }
  return {
    url,
    restart: async () => {
      await rabbitmqctl('stop_app');
      await rabbitmqctl('start_app');
      await awaitStartup();
      await waitUntilAnswering(address);
    },
    stop: async () => {
      if (startedHere) await rabbitmqctl('stop');
    },
    listQueues,
  };
}

export async function listQueues(): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', '--quiet', '--no-table-headers'], {
    timeout: STARTUP_TIMEOUT_S * 1000,
  });
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** `rabbitmqctl ping`: the Erlang node is up (whether or not the RabbitMQ app in it is running). */
async function nodeRunning(): Promise<boolean> {
  try {
    await run('rabbitmqctl', ['ping'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', args, { timeout: STARTUP_TIMEOUT_S * 1000 });
}

/** `rabbitmqctl await_startup` fails while the Erlang node itself is still booting: retry until it answers. */
async function awaitStartup(): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_S * 1000;
  for (;;) {
    try {
      await run('rabbitmqctl', ['await_startup', '--timeout', String(STARTUP_TIMEOUT_S)], {
        timeout: (STARTUP_TIMEOUT_S + 10) * 1000,
      });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}

async function waitUntilAnswering(address: { host: string; port: number }): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_S * 1000;
  while (!(await portAccepts(address))) {
    if (Date.now() > deadline) throw new Error(`RabbitMQ did not open ${address.host}:${address.port}`);
    await sleep(200);
  }
}

/** Deletes `queues` on the broker at `url` (a suite's durable queues, once nothing consumes them). */
export async function deleteQueues(url: string, queues: readonly string[]): Promise<void> {
  if (queues.length === 0) return;
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/**
 * The broker at `url` with a vhost of its own (`<prefix>-<random>`, guest may do anything in it) when that
 * broker is this machine's, shared with other test runs (AMQP_URL, SWITCHBOARD_TEST_BROKERS=local): work
 * queues of fixed names (a service's) then meet no other run's consumers. A container of the test's own is
 * returned as it is. `remove` deletes the vhost with everything in it.
 */
export async function ownVhost(
  url: string,
  prefix: string,
): Promise<{ url: string; remove(): Promise<void> }> {
  const shared = Boolean(process.env.AMQP_URL) || process.env.SWITCHBOARD_TEST_BROKERS?.trim() === 'local';
  if (!shared) return { url, remove: async () => undefined };
  const vhost = `${prefix}-${randomBytes(4).toString('hex')}`;
  await rabbitmqctl('-q', 'add_vhost', vhost);
  await rabbitmqctl('-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
  const own = new URL(url);
  own.pathname = `/${vhost}`;
  return { url: own.toString(), remove: () => rabbitmqctl('-q', 'delete_vhost', vhost) };
}
