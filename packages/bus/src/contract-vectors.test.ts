/**
 * docs/bus-contract.md gives backends in other languages test vectors for the key hashes. They are read
 * from the page itself and checked against the code, so the page cannot drift from what the transports do.
 */
import { readFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { routingKeyFor } from './amqp/routing-key.js';
import { hashKey } from './routes.js';

const doc = readFileSync(new URL('../../../docs/bus-contract.md', import.meta.url), 'utf8');

/** Rows `| \`key\` … | decimal | hex | mod 16 | partition of 8 |` of the vector table. */
function vectorRows(): { key: string; fnv: number; hex: string; bucket: number; partition: number }[] {
  const rows = [];
  for (const line of doc.split('\n')) {
    const match = /^\| `([^`]*)`[^|]* \| (\d+) \| ([0-9a-f]{8}) \| (\d+) \| (\d+) \|$/.exec(line);
    if (match)
      rows.push({
        key: match[1]!,
        fnv: Number(match[2]),
        hex: match[3]!,
        bucket: Number(match[4]),
        partition: Number(match[5]),
      });
  }
  return rows;
}

function kafkaPartition(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('docs/bus-contract.md test vectors', () => {
  const rows = vectorRows();

  it('lists the vectors (the table was found)', () => {
    expect(rows.map((row) => row.key)).toEqual(['room-1', 'alice', 'order-42', 'chat:lobby', 'café', '']);
  });

  it.each(rows)('FNV-1a, bucket and Kafka partition of "$key" are what the transports compute', (row) => {
    expect(hashKey(row.key)).toBe(row.fnv);
    expect(row.fnv.toString(16).padStart(8, '0')).toBe(row.hex);
    expect(hashKey(row.key) % 16).toBe(row.bucket);
    expect(kafkaPartition(row.key, 8)).toBe(row.partition);
  });

  it('gives the hashed AMQP routing key of a long route key', () => {
    const match = /routing\s+key `(h:[0-9a-f]{64})`/.exec(doc);
    expect(match).not.toBeNull();
    expect(routingKeyFor(`c:${'a'.repeat(254)}`)).toBe(match![1]);
  });
});
