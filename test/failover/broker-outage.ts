/**
 * A RabbitMQ outage of a chosen length (issue 18): the broker's application is stopped (`rabbitmqctl
 * stop_app`: every client connection is closed with "shutdown", new ones are refused, exclusive queues go),
 * stays down for `downMs`, and is started again (`start_app`: durable queues and persistent messages are
 * recovered). That is what clients see of a broker stopped and started, without the Erlang VM's boot time,
 * so the measured outage is the one asked for. `restart()` of the broker handles cannot hold the broker
 * down for a given time, hence this.
 *
 * Where rabbitmqctl runs: in the broker's own container (found by the host port it publishes, which
 * test/support/containers.ts binds explicitly), or on this machine for the host's RabbitMQ
 * (SWITCHBOARD_TEST_BROKERS=local / AMQP_URL), like that handle's restart().
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type OutageTimes, testContainer } from '../support/container-outage.js';
import { portAccepts } from '../support/ports.js';

const run = promisify(execFile);
/** stop_app / start_app with durable queues to recover: generous, a stuck call is named by the error. */
const CTL_TIMEOUT_MS = 120_000;

/** stopAt / downAt: stop_app called / returned; startAt: start_app called; backAt: the AMQP port accepts again. */
export type { OutageTimes };

type Ctl = (args: string[]) => Promise<void>;

/**
 * Stops the RabbitMQ at `url` for `downMs`, then starts it; resolves once it accepts connections again.
 * `onHost`: the broker is this machine's (rabbitmqctl here) rather than a container of the tests.
 */
export async function rabbitOutage(url: string, onHost: boolean, downMs: number): Promise<OutageTimes> {
  const ctl = onHost ? hostCtl : await containerCtl(url);
  const stopAt = Date.now();
  await ctl(['stop_app']);
  const downAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const startAt = Date.now();
  await ctl(['start_app']);
  await untilAnswering(url);
  return { stopAt, downAt, startAt, backAt: Date.now() };
}

const hostCtl: Ctl = async (args) => {
  await run('rabbitmqctl', args, { timeout: CTL_TIMEOUT_MS });
};

/** rabbitmqctl inside the test container that publishes `url`'s port. */
async function containerCtl(url: string): Promise<Ctl> {
  const port = Number(new URL(url).port || 5672);
  const { engine, container } = await testContainer(
    'RabbitMQ',
    port,
    5672,
    "the broker's container from test/support/containers.ts, or SWITCHBOARD_TEST_BROKERS=local for the host broker",
  );
  const { client } = engine;
  return async (args) => {
    const result = await Promise.race([
      client.container.exec(container, ['rabbitmqctl', ...args]),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`rabbitmqctl ${args.join(' ')}: no answer in ${CTL_TIMEOUT_MS} ms`)),
          CTL_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
    if (result.exitCode !== 0)
      throw new Error(`rabbitmqctl ${args.join(' ')} exited ${result.exitCode}: ${result.output}`);
  };
}

/** Resolves once a TCP connection to the broker's port is accepted (start_app returns just before). */
async function untilAnswering(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const address = { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 5672) };
  const deadline = Date.now() + CTL_TIMEOUT_MS;
  for (;;) {
    const ok = await portAccepts(address);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`RabbitMQ did not accept connections again at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
