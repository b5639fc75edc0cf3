/**
 * A backend in another language producing to Kafka exactly as docs/bus-contract.md says, with a plain
 * Kafka client (raw kafkajs here, as php-rdkafka or confluent-kafka-python would): a Delivery to
 * `sb.deliveries` WITHOUT the `sb-route` header the Node transport adds, and work keyed by the contract.
 * Before the node read the route from the Delivery, a header-less record was dropped with one log line.
 */
import { decodeDelivery, encodeDelivery } from '@switchboard/protocol';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaHandle, startKafka } from '../../../../test/support/brokers.js';
import { QUICK_GROUP_TIMINGS } from '../../../../test/support/kafka-broker.js';
import { bytes, text, uniqueName, waitFor } from '../conformance/wait.js';
import { channelRoute, nodeRoute, userRoute } from '../routes.js';
import type { Route, TransportEvent } from '../transport.js';
import { KafkaTransport } from './index.js';

describe('kafka: a foreign backend publishing by the bus contract', () => {
  let kafka: KafkaHandle;
  let transport: KafkaTransport;
  let producer: Producer;
  const events: TransportEvent[] = [];

  beforeAll(async () => {
    kafka = await startKafka();
    transport = new KafkaTransport({ brokers: kafka.brokers, ...QUICK_GROUP_TIMINGS });
    transport.on('event', (event) => events.push(event));
    producer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer({
      createPartitioner: Partitioners.DefaultPartitioner, // murmur2, as the contract asks
    });
    await producer.connect();
  }, 300_000);

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await transport?.close();
    await kafka?.stop();
  }, 60_000);

  it('delivers header-less Deliveries by their target, and refuses loudly what has no route', async () => {
    const nodeId = uniqueName('edge');
    const got: { route: Route; type: string }[] = [];
    const node = await transport.openNode(nodeId, (data, route) => {
      const delivery = decodeDelivery(data);
      got.push({ route, type: delivery.publication?.type ?? delivery.push?.type ?? '' });
    });
    const room = uniqueName('news');
    const user = uniqueName('alice');
    await node.addInterest(channelRoute(room));
    await node.addInterest(userRoute(user));
    const other = uniqueName('elsewhere'); // no interest: filtered out, not refused
    const value = (d: Parameters<typeof encodeDelivery>[0]) => Buffer.from(encodeDelivery(d));
    await producer.send({
      topic: 'sb.deliveries',
      acks: -1,
      messages: [
        { value: value({ channel: room, publication: { channel: room, type: 'to.channel' } }) },
        { value: value({ channel: other, publication: { channel: other, type: 'to.other' } }) },
        { value: value({ user, push: { id: 'p1', type: 'to.user' } }) },
        { value: value({ connection: `${nodeId}.abc`, push: { id: 'p2', type: 'to.connection' } }) },
        { value: Buffer.from('not a Delivery') },
        // A header that is not a route key (the `c:` forgotten): the target decides.
        {
          value: value({ channel: room, publication: { channel: room, type: 'bad.header' } }),
          headers: { 'sb-route': room },
        },
      ],
    });
    await waitFor('four deliveries', () => got.length === 4, 30_000);
    await waitFor('the refusal', () =>
      events.some((e) => e.type === 'delivery-refused' && e.node === nodeId),
    );
    expect(got).toEqual([
      { route: channelRoute(room), type: 'to.channel' },
      { route: userRoute(user), type: 'to.user' },
      { route: nodeRoute(nodeId), type: 'to.connection' },
      { route: channelRoute(room), type: 'bad.header' },
    ]);
    expect(events.filter((e) => e.type === 'delivery-refused')).toHaveLength(1);
    await node.close();
  });

  it('hands work produced to sb.work.<topic> with a record key to the group, with its key', async () => {
    const topic = uniqueName('orders');
    const got: { key: string; body: string }[] = [];
    const consumer = await transport.consumeWork(topic, { group: 'svc' }, async (m) => {
      got.push({ key: m.key, body: text(m.bytes) });
    });
    await producer.send({
      topic: `sb.work.${topic}`,
      acks: -1,
      messages: ['alice', 'café'].map((key) => ({ key, value: Buffer.from(bytes(`event for ${key}`)) })),
    });
    await waitFor('two work messages', () => got.length === 2, 30_000);
    expect(got.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'alice', body: 'event for alice' },
      { key: 'café', body: 'event for café' },
    ]);
    await consumer.close();
  });
});
