/**
 * A backend in another language publishing to RabbitMQ exactly as docs/bus-contract.md says, with nothing
 * but an AMQP client (raw amqplib here, as php-amqplib or pika would): deliveries without the `x-sb-route`
 * header the Node transport adds, and work computed by the contract's bucket rule. Before the edge derived
 * the route from the routing key, a header-less delivery was dropped with only a log line.
 */
import { createHash } from 'node:crypto';
import { decodeDelivery, encodeDelivery } from '@switchboard/protocol';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../../test/support/brokers.js';
import { deleteQueues } from '../../../../test/support/rabbitmq.js';
import { bytes, text, uniqueName, waitFor } from '../conformance/wait.js';
import { channelRoute, hashKey, userRoute } from '../routes.js';
import type { Route, TransportEvent } from '../transport.js';
import { AmqpTransport } from './index.js';

const publication = (channel: string, payload: string) =>
  encodeDelivery({
    channel,
    publishedAtMs: Date.now(),
    publication: { channel, type: 'news.posted', payload: bytes(payload), timeMs: Date.now() },
  });

describe('amqp: a foreign backend publishing by the bus contract', () => {
  let rabbit: RabbitHandle;
  let edge: AmqpTransport;
  let raw: ChannelModel;
  let channel: ConfirmChannel;
  const events: TransportEvent[] = [];
  const queues: string[] = [];

  beforeAll(async () => {
    rabbit = await startRabbit();
    edge = await AmqpTransport.connect({ url: rabbit.url });
    edge.on('event', (event) => events.push(event));
    raw = await connect(rabbit.url);
    channel = await raw.createConfirmChannel();
  }, 180_000);

  afterAll(async () => {
    await raw?.close().catch(() => undefined);
    await edge?.close();
    if (rabbit) await deleteQueues(rabbit.url, queues).catch(() => undefined);
    await rabbit?.stop();
  }, 60_000);

  /** What a PHP or Python publisher does: exchange, routing key, body; no x-sb-* header; wait for the confirm. */
  const publishRaw = async (exchange: string, routingKey: string, body: Uint8Array, headers?: object) => {
    channel.publish(exchange, routingKey, Buffer.from(body), headers ? { headers } : {});
    await channel.waitForConfirms();
  };

  it('delivers channel, user and long (hashed) channel deliveries sent without the route header', async () => {
    const got: { route: Route; payload: string }[] = [];
    const node = await edge.openNode(uniqueName('edge'), (data, route) => {
      const delivery = decodeDelivery(data);
      got.push({
        route,
        payload: text(delivery.publication?.payload ?? delivery.push?.payload ?? new Uint8Array()),
      });
    });
    const room = uniqueName('news');
    const long = `${uniqueName('long')}-`.padEnd(255, 'x'); // `c:` + 255 characters: over AMQP's 255 bytes
    const user = uniqueName('alice');
    for (const route of [channelRoute(room), channelRoute(long), userRoute(user)])
      await node.addInterest(route);

    await publishRaw('sb.deliveries', `c:${room}`, publication(room, 'plain'));
    const hashed = `h:${createHash('sha256').update(`c:${long}`, 'utf8').digest('hex')}`;
    await publishRaw('sb.deliveries', hashed, publication(long, 'hashed'));
    const push = encodeDelivery({
      user,
      publishedAtMs: Date.now(),
      push: { id: 'p1', type: 'invoice.ready', payload: bytes('pushed'), timeMs: Date.now() },
    });
    await publishRaw('sb.deliveries', `u:${user}`, push);

    await waitFor('three header-less deliveries', () => got.length === 3, 10_000);
    expect(got).toEqual([
      { route: channelRoute(room), payload: 'plain' },
      { route: channelRoute(long), payload: 'hashed' },
      { route: userRoute(user), payload: 'pushed' },
    ]);
    expect(events.filter((event) => event.type === 'delivery-refused')).toEqual([]);
    await node.close();
  });

  it('refuses loudly what it cannot route: a delivery-refused event, nothing handed to the handler', async () => {
    const nodeId = uniqueName('edge');
    const got: Uint8Array[] = [];
    const node = await edge.openNode(nodeId, (data) => got.push(data));
    // Straight into the node's queue through the default exchange, and not a Delivery: no route anywhere.
    await publishRaw('', `sb.node.${nodeId}`, bytes('not protobuf'));
    // The same way, but a Delivery: its own target routes it.
    await publishRaw('', `sb.node.${nodeId}`, encodeDelivery({ all: true, push: { id: 'x', type: 't' } }));
    await waitFor('the refusal', () =>
      events.some((e) => e.type === 'delivery-refused' && e.node === nodeId),
    );
    await waitFor('the routable one', () => got.length === 1);
    expect(decodeDelivery(got[0]!).all).toBe(true);
    await node.close();
  });

  it('hands work published by the contract to the group, with its key', async () => {
    const topic = uniqueName('orders');
    const group = 'svc';
    queues.push(
      `sb.dlq.${topic}.${group}`,
      ...Array.from({ length: 16 }, (_, i) => `sb.work.${topic}.${group}.s${i}`),
    );
    const got: { key: string; body: string }[] = [];
    const consumer = await edge.consumeWork(topic, { group }, async (m) => {
      got.push({ key: m.key, body: text(m.bytes) });
    });
    for (const key of ['alice', 'bob', 'café']) {
      channel.publish('sb.work', `${topic}.${hashKey(key) % 16}`, Buffer.from(`event for ${key}`), {
        persistent: true,
        mandatory: true,
        headers: { 'x-sb-key': key },
      });
    }
    await channel.waitForConfirms();
    await waitFor('three work messages', () => got.length === 3, 30_000);
    expect(got.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'alice', body: 'event for alice' },
      { key: 'bob', body: 'event for bob' },
      { key: 'café', body: 'event for café' },
    ]);
    await consumer.close();
  });
});
