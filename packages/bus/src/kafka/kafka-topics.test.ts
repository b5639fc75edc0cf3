/** TopicRegistry on a fake kafkajs admin: ensure() resolves only once the broker serves the topic. */
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TopicRegistry } from './kafka-topics.js';

/** What kafkajs throws when a metadata response names a topic the broker does not serve (yet). */
function unknownTopic(): Error {
  return Object.assign(new Error('This server does not host this topic-partition'), {
    name: 'KafkaJSProtocolError',
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    retriable: true,
  });
}

/**
 * A broker that serves a new topic's metadata only after `servedAfter` metadata requests. As kafkajs does,
 * createTopics({ waitForLeaders }) fails when the metadata is not served yet (UNKNOWN_TOPIC_OR_PARTITION)
 * after having created the topic, and resolves false at once (no waiting) when the topic exists.
 */
function slowBroker(servedAfter: number, leader = 1) {
  let exists = false;
  let metadataRequests = 0;
  const created: unknown[] = [];
  const served = () => ++metadataRequests > servedAfter;
  const admin = {
    createTopics: async ({ topics }: { topics: unknown[] }) => {
      created.push(...topics);
      if (exists) return false;
      exists = true;
      if (!served()) throw unknownTopic();
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      if (!exists || !served()) throw unknownTopic();
      return {
        topics: topics.map((name) => ({
          name,
          partitions: [0, 1].map((partitionId) => ({ partitionId, leader, replicas: [1], isr: [1] })),
        })),
      };
    },
  } as unknown as Admin;
  return { admin, requests: () => metadataRequests, created };
}

describe('TopicRegistry', () => {
  it('does not resolve on TOPIC_ALREADY_EXISTS before the broker serves the topic', async () => {
    const broker = slowBroker(4);
    const registry = new TopicRegistry(
      async () => broker.admin,
      async () => undefined,
    );
    await registry.ensure({ topic: 'sb.work.t', partitions: 2 });
    // The first createTopics failed while waiting for leaders, the retry found the topic existing: ensure()
    // still asked until the metadata was served (request 5).
    expect(broker.requests()).toBe(5);
  });

  it('waits for a leader on every partition', async () => {
    const broker = slowBroker(0, -1);
    let delays = 0;
    const registry = new TopicRegistry(
      async () => broker.admin,
      async () => {
        delays++;
      },
    );
    await expect(registry.ensure({ topic: 'sb.work.t', partitions: 2 })).rejects.toThrow(
      /no leader for every partition/,
    );
    expect(delays).toBeGreaterThan(10);
  });

  it('creates topics with the replication it is given, min.insync.replicas beside the topic config', async () => {
    const broker = slowBroker(0);
    const registry = new TopicRegistry(
      async () => broker.admin,
      async () => undefined,
      async () => ({ replicationFactor: 3, minInsyncReplicas: 2 }),
    );
    await registry.ensure({
      topic: 'sb.work.t',
      partitions: 2,
      configEntries: [{ name: 'retention.ms', value: '1000' }],
    });
    expect(broker.created).toEqual([
      {
        topic: 'sb.work.t',
        numPartitions: 2,
        replicationFactor: 3,
        configEntries: [
          { name: 'retention.ms', value: '1000' },
          { name: 'min.insync.replicas', value: '2' },
        ],
      },
    ]);
  });
});
