/**
 * addInterests binds a batch in one round trip (no-wait bindings, then one awaited): when it resolves,
 * every binding must be in place — a delivery published right after reaches the node for every route.
 * Runs against the host RabbitMQ (AMQP_URL, default 127.0.0.1:5672); node queues are exclusive and go
 * with the connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/wait.js';
import { userRoute } from '../routes.js';
import type { NodeSubscription, Route } from '../transport.js';
import { AmqpTransport } from './index.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

describe('amqp addInterests', () => {
  let node: AmqpTransport;
  let publisher: AmqpTransport;
  beforeAll(async () => {
    node = await AmqpTransport.connect({ url: URL });
    publisher = await AmqpTransport.connect({ url: URL });
  });
  afterAll(async () => {
    await node?.close();
    await publisher?.close();
  });

  it('has every route of a 500-route batch bound once it resolves', async () => {
    const got = new Set<string>();
    const inbox: NodeSubscription = await node.openNode(uniqueName('n'), (bytes) =>
      got.add(new TextDecoder().decode(bytes)),
    );
    const prefix = uniqueName('u');
    const routes: Route[] = Array.from({ length: 500 }, (_, i) => userRoute(`${prefix}-${i}`));
    await inbox.addInterests!(routes);
    await Promise.all(
      routes.map((route, i) => publisher.publishDelivery(route, new TextEncoder().encode(String(i)))),
    );
    await expect.poll(() => got.size, { timeout: 10_000 }).toBe(routes.length);
  });

  it('leaves the node working after a batch and single changes interleave', async () => {
    const got: string[] = [];
    const inbox = await node.openNode(uniqueName('n'), (bytes) => got.push(new TextDecoder().decode(bytes)));
    const prefix = uniqueName('v');
    const a = userRoute(`${prefix}-a`);
    const b = userRoute(`${prefix}-b`);
    await Promise.all([inbox.addInterests!([a, b]), inbox.addInterest(userRoute(`${prefix}-c`))]);
    await inbox.removeInterest(a);
    await publisher.publishDelivery(a, new TextEncoder().encode('a'));
    await publisher.publishDelivery(b, new TextEncoder().encode('b'));
    await expect.poll(() => got).toEqual(['b']);
  });
});
