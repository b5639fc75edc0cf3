/**
 * A delivery to one node published while that node's inbox does not exist — in a cluster, the moment between
 * the inbox's broker node stopping and the inbox being declared again on another (issue 16, drill 4) — is
 * written again in the background until the inbox is back, for a few seconds (confirm-queue.ts,
 * untilRoutable); the publisher is answered at once, as before. Before, the exchange dropped it: a service's
 * reply published then was lost, and the client's request was answered only by the edge's timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../../test/support/brokers.js';
import { bytes, sleep, text, uniqueName, waitFor } from '../conformance/wait.js';
import { channelRoute, nodeRoute } from '../routes.js';
import { AmqpTransport } from './index.js';

describe('amqp delivery to a node whose inbox is missing', () => {
  let rabbit: RabbitHandle;
  const transports: AmqpTransport[] = [];

  beforeAll(async () => {
    rabbit = await startRabbit();
  }, 180_000);

  afterAll(async () => {
    for (const transport of transports) await transport.close().catch(() => undefined);
    await rabbit?.stop();
  }, 60_000);

  const open = async (publishTimeoutMs: number) => {
    const transport = await AmqpTransport.connect({ url: rabbit.url, publishTimeoutMs });
    transports.push(transport);
    return transport;
  };

  it('reaches the inbox declared after it was published', async () => {
    const publisher = await open(30_000);
    const node = uniqueName('late-inbox');
    // The publisher is not held up by the missing inbox (a handler replying must not wait for it).
    await publisher.publishDelivery(nodeRoute(node), bytes('reply'));
    await sleep(500); // returned and written again meanwhile

    const got: string[] = [];
    const receiver = await open(30_000);
    await receiver.openNode(node, (payload) => got.push(text(payload)));
    await waitFor('the reply at the inbox declared after it', () => got.includes('reply'));
    await sleep(300); // a second copy would come within a retry pause
    expect(got).toEqual(['reply']);
  });

  it('is dropped, not failed, when the inbox does not come back within the publish timeout', async () => {
    const publisher = await open(1_000);
    await expect(
      publisher.publishDelivery(nodeRoute(uniqueName('gone-inbox')), bytes('late')),
    ).resolves.toBeUndefined();
  });

  it('is not written again once the grace after its first return has passed', async () => {
    const publisher = await open(60_000);
    const node = uniqueName('gone-for-good');
    await publisher.publishDelivery(nodeRoute(node), bytes('late'));
    await sleep(4_500); // past the 3 s grace, far within the 60 s publish timeout
    const got: string[] = [];
    const receiver = await open(30_000);
    await receiver.openNode(node, (payload) => got.push(text(payload)));
    await publisher.publishDelivery(nodeRoute(node), bytes('fresh'));
    await waitFor('the fresh delivery', () => got.includes('fresh'));
    expect(got).toEqual(['fresh']);
  }, 30_000);

  it('leaves a delivery on a route nobody wants dropped at once (not held for an inbox)', async () => {
    const publisher = await open(30_000);
    const route = channelRoute(uniqueName('nobody'));
    // With a 30 s timeout a held delivery would outlast the test's own timeout (20 s).
    await expect(publisher.publishDelivery(route, bytes('unwanted'))).resolves.toBeUndefined();
  }, 20_000);
});
