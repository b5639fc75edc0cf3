import { describe, expect, it } from 'vitest';
import { BusNameError } from '../errors.js';
import { replicationConfig, replicationFor, replicationOfQuery } from './kafka-replication.js';

describe('Kafka topic replication (issue 16)', () => {
  it('follows the cluster size: 3 copies / 2 in sync from three brokers on, one per broker below', () => {
    expect(replicationFor(1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(replicationFor(2)).toEqual({ replicationFactor: 2, minInsyncReplicas: 1 });
    expect(replicationFor(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(replicationFor(5)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('takes chosen values, and refuses ones the cluster cannot honour, naming the fix', () => {
    expect(replicationFor(5, { replicationFactor: 5, minInsyncReplicas: 3 })).toEqual({
      replicationFactor: 5,
      minInsyncReplicas: 3,
    });
    expect(() => replicationFor(1, { replicationFactor: 3 })).toThrow(/needs at least 3 brokers.*has 1/);
    expect(() => replicationFor(3, { minInsyncReplicas: 4 })).toThrow(/min_insync=4 is above replication=3/);
  });

  it('sets min.insync.replicas only on replicated topics', () => {
    expect(replicationConfig({ replicationFactor: 1, minInsyncReplicas: 1 })).toEqual([]);
    expect(replicationConfig({ replicationFactor: 3, minInsyncReplicas: 2 })).toEqual([
      { name: 'min.insync.replicas', value: '2' },
    ]);
  });

  it('reads replication and min_insync from the bus URL query and refuses anything else', () => {
    const url = 'kafka://a:9092?replication=3&min_insync=2';
    expect(replicationOfQuery('replication=3&min_insync=2', url)).toEqual({
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
    expect(replicationOfQuery('', 'kafka://a:9092')).toEqual({});
    expect(() => replicationOfQuery('replication=three', url)).toThrow(BusNameError);
    expect(() => replicationOfQuery('replication=0', url)).toThrow(/not a whole number above 0/);
    expect(() => replicationOfQuery('acks=1', url)).toThrow(/unknown parameter "acks"/);
  });
});
