/**
 * Kafka's backlog bound (backlog.ts): a log has no message-count bound, so a bounded work topic is created
 * with `retention.ms` = maxAgeMs and the broker deletes older segments whether or not a group read them.
 * What deletion does is the broker's; what the transport owes is creating the topic with that configuration,
 * from the publishing side and from the consuming side, and leaving unbounded topics at the broker default.
 */
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaHandle, startKafka } from '../../../../test/support/brokers.js';
import { QUICK_GROUP_TIMINGS } from '../../../../test/support/kafka-broker.js';
import { bytes, uniqueName } from '../conformance/wait.js';
import { KafkaTransport } from './index.js';
import { workTopic } from './kafka-names.js';

describe('kafka: bounded work topics', () => {
  let kafka: KafkaHandle;
  let admin: Admin;
  const transports: KafkaTransport[] = [];
  const published = uniqueName('bounded-pub');
  const consumed = uniqueName('bounded-sub');
  const unbounded = uniqueName('unbounded');

  const retentionMs = async (topic: string): Promise<string | undefined> => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: workTopic(topic), configNames: ['retention.ms'] }],
    });
    return resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
  };

  beforeAll(async () => {
    kafka = await startKafka();
    admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 300_000);

  afterAll(async () => {
    for (const transport of transports) await transport.close().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await kafka?.stop();
  }, 60_000);

  it('creates a bounded topic with retention.ms from either side, and leaves others at the default', async () => {
    const transport = new KafkaTransport({
      brokers: kafka.brokers,
      ...QUICK_GROUP_TIMINGS,
      topicBounds: { [published]: { maxAgeMs: 60_000 }, [consumed]: { maxAgeMs: 120_000 } },
    });
    transports.push(transport);
    await transport.publishWork(published, 'k', bytes('x'));
    await (await transport.consumeWork(consumed, { group: 'svc' }, async () => undefined)).close();
    await transport.publishWork(unbounded, 'k', bytes('x'));

    expect(await retentionMs(published)).toBe('60000');
    expect(await retentionMs(consumed)).toBe('120000');
    expect(await retentionMs(unbounded)).not.toBe('60000');
    expect(await retentionMs(unbounded)).not.toBe('120000');
  });
});
