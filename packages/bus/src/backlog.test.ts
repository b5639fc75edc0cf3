import { describe, expect, it } from 'vitest';
import { boundArguments } from './amqp/topology.js';
import {
  DEFAULT_LIFECYCLE_BOUND,
  lifecycleBounds,
  perShard,
  rabbitPolicyCommand,
  resolveTopicBounds,
} from './backlog.js';
import { workTopicSpec } from './kafka/kafka-topics.js';

describe('topic backlog bounds', () => {
  it('bounds lifecycle by default and nothing else', () => {
    const bounds = resolveTopicBounds();
    expect(bounds.get('lifecycle')).toEqual(DEFAULT_LIFECYCLE_BOUND);
    expect(bounds.has('chat')).toBe(false);
    expect(bounds.size).toBe(1);
  });

  it('merges the option over the defaults; null removes a bound', () => {
    const bounds = resolveTopicBounds({ audit: { maxMessages: 10 }, lifecycle: { maxAgeMs: 5_000 } });
    expect(bounds.get('audit')).toEqual({ maxMessages: 10 });
    expect(bounds.get('lifecycle')).toEqual({ maxAgeMs: 5_000 });
    expect(resolveTopicBounds({ lifecycle: null }).has('lifecycle')).toBe(false);
  });

  it('builds the lifecycle option from settings where 0 means no bound of that kind', () => {
    expect(lifecycleBounds({ maxMessages: 10, maxAgeMs: 0 })).toEqual({ lifecycle: { maxMessages: 10 } });
    expect(lifecycleBounds({ maxMessages: 0, maxAgeMs: 5 })).toEqual({ lifecycle: { maxAgeMs: 5 } });
    expect(resolveTopicBounds(lifecycleBounds({ maxMessages: 0, maxAgeMs: 0 })).has('lifecycle')).toBe(false);
  });

  it('refuses bounds that bound nothing or are not positive integers, naming the setting', () => {
    expect(() => resolveTopicBounds({ lifecycle: {} })).toThrow(/topicBounds\.lifecycle sets neither/);
    expect(() => resolveTopicBounds({ lifecycle: { maxMessages: 0 } })).toThrow(
      /topicBounds\.lifecycle\.maxMessages must be a positive integer/,
    );
    expect(() => resolveTopicBounds({ lifecycle: { maxAgeMs: 1.5 } })).toThrow(/maxAgeMs/);
  });

  it('splits a message bound over shard queues, rounding up, at least one each', () => {
    expect(perShard(200_000, 16)).toBe(12_500);
    expect(perShard(33, 16)).toBe(3);
    expect(perShard(1, 16)).toBe(1);
  });

  it('turns a bound into RabbitMQ queue arguments: drop-head length share and TTL', () => {
    expect(boundArguments({ maxMessages: 32, maxAgeMs: 60_000 }, 16)).toEqual({
      'x-max-length': 2,
      'x-overflow': 'drop-head',
      'x-message-ttl': 60_000,
    });
    expect(boundArguments({ maxAgeMs: 1_000 }, 16)).toEqual({ 'x-message-ttl': 1_000 });
  });

  it('gives the policy command that bounds existing queues live', () => {
    expect(rabbitPolicyCommand('lifecycle', { maxMessages: 32, maxAgeMs: 60_000 }, 16)).toBe(
      `rabbitmqctl set_policy sb-lifecycle-backlog '^sb\\.work\\.lifecycle\\.' '{"max-length":2,"overflow":"drop-head","message-ttl":60000}' --apply-to queues`,
    );
  });

  it('creates a bounded Kafka work topic with retention.ms, others without configuration', () => {
    expect(workTopicSpec('sb.work.lifecycle', 8, { maxMessages: 5, maxAgeMs: 60_000 })).toEqual({
      topic: 'sb.work.lifecycle',
      partitions: 8,
      configEntries: [{ name: 'retention.ms', value: '60000' }],
    });
    expect(workTopicSpec('sb.work.chat', 8, undefined)).toEqual({ topic: 'sb.work.chat', partitions: 8 });
  });
});
