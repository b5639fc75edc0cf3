import { describe, expect, it } from 'vitest';
import { KAFKA_DEFAULTS, resolveKafkaOptions } from './kafka-options.js';

describe('kafka options', () => {
  it('applies the named defaults and freezes the result', () => {
    const options = resolveKafkaOptions({ brokers: ['127.0.0.1:9092'] });
    expect(options).toMatchObject({ ...KAFKA_DEFAULTS, brokers: ['127.0.0.1:9092'] });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('rejects settings that cannot work, naming the option', () => {
    expect(() => resolveKafkaOptions({ brokers: [] })).toThrow(/at least one broker/);
    expect(() => resolveKafkaOptions({ brokers: ['b:1'], workPartitions: 0 })).toThrow(/workPartitions/);
    expect(() => resolveKafkaOptions({ brokers: ['b:1'], publishTimeoutMs: 1.5 })).toThrow(
      /publishTimeoutMs/,
    );
    expect(() =>
      resolveKafkaOptions({ brokers: ['b:1'], sessionTimeoutMs: 1_000, heartbeatIntervalMs: 1_000 }),
    ).toThrow(/heartbeatIntervalMs/);
  });
});
