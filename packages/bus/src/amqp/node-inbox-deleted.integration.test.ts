/**
 * A node inbox deleted by the broker under a live connection (in a cluster: the clean-up after a lost node
 * can remove the inbox just re-declared elsewhere, test/cluster) is declared again with its bindings, and
 * the transport reports `reconnected` so the edge re-syncs the gap. The new inbox has a name of its own, so
 * a late clean-up of the old name leaves it alone.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../../test/support/brokers.js';
import { testContainer } from '../../../../test/support/container-outage.js';
import { bytes, text, uniqueName, waitFor } from '../conformance/wait.js';
import type { TransportEvent } from '../transport.js';
import { AmqpTransport } from './index.js';
import { nodeQueue } from './topology.js';

describe('amqp node inbox deleted by the broker', () => {
  let rabbit: RabbitHandle;
  let transport: AmqpTransport | undefined;

  beforeAll(async () => {
    rabbit = await startRabbit();
  }, 180_000);

  afterAll(async () => {
    await transport?.close().catch(() => undefined);
    await rabbit?.stop();
  }, 60_000);

  it('declares it again with its bindings and reports reconnected', async () => {
    transport = await AmqpTransport.connect({ url: rabbit.url });
    const events: TransportEvent[] = [];
    transport.on('event', (event) => events.push(event));
    const node = uniqueName('gone');
    const got: string[] = [];
    const inbox = await transport.openNode(node, (payload) => got.push(text(payload)));
    const route = { kind: 'channel', channel: `c-${node}` } as const;
    await inbox.addInterest(route);
    await transport.publishDelivery(route, bytes('before'));
    await waitFor('the first delivery', () => got.includes('before'));

    await deleteAsAdmin(rabbit.url, nodeQueue(node));

    await waitFor('reconnected after the re-declare', () => events.some((e) => e.type === 'reconnected'));
    await transport.publishDelivery(route, bytes('after'));
    await waitFor('a delivery through the re-declared inbox', () => got.includes('after'));
    expect(got).toEqual(['before', 'after']);

    // The survivors of a lost cluster node clean up its exclusive queues late, by name. The re-declared
    // inbox has a name of its own, so that clean-up (here: the old name deleted again) cannot remove it.
    const reconnects = events.filter((e) => e.type === 'reconnected').length;
    await deleteAsAdmin(rabbit.url, nodeQueue(node), { missingOk: true });
    await transport.publishDelivery(route, bytes('still'));
    await waitFor('a delivery after the stale clean-up', () => got.includes('still'));
    expect(got).toEqual(['before', 'after', 'still']);
    expect(events.filter((e) => e.type === 'reconnected').length).toBe(reconnects);
  });
});

/**
 * `rabbitmqctl delete_queue`: only an administrator can delete another connection's exclusive queue. In the
 * broker's test container, or on this machine for the host's broker (AMQP_URL / SWITCHBOARD_TEST_BROKERS=local).
 */
async function deleteAsAdmin(url: string, queue: string, { missingOk = false } = {}): Promise<void> {
  const notFound = (output: string) => missingOk && /not found/i.test(output);
  if (process.env.AMQP_URL || process.env.SWITCHBOARD_TEST_BROKERS?.trim() === 'local') {
    try {
      await promisify(execFile)('rabbitmqctl', ['delete_queue', queue], { timeout: 60_000 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      if (!notFound(`${stdout}${stderr}`)) throw error;
    }
    return;
  }
  const port = Number(new URL(url).port || 5672);
  const { engine, container } = await testContainer('RabbitMQ', port, 5672, 'the test container');
  const result = await engine.client.container.exec(container, ['rabbitmqctl', 'delete_queue', queue]);
  if (result.exitCode !== 0 && !notFound(result.output))
    throw new Error(`rabbitmqctl delete_queue ${queue}: ${result.output}`);
}
