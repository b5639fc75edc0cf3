/**
 * Picks the bus transport from SWITCHBOARD_BUS. RabbitMQ and Kafka transports are imported lazily so the
 * edge runs on the memory bus without amqplib or kafkajs being loaded.
 */
import type { Transport } from '@switchboard/bus';
import { MemoryTransport } from '@switchboard/bus/memory';

export async function createTransport(bus: string): Promise<Transport> {
  if (bus === 'memory') return new MemoryTransport();
  if (bus.startsWith('amqp://') || bus.startsWith('amqps://')) {
    const specifier = '@switchboard/bus/amqp';
    const mod = (await import(specifier)) as { AmqpTransport: new (o: { url: string }) => Transport };
    return new mod.AmqpTransport({ url: bus });
  }
  if (bus.startsWith('kafka://')) {
    const brokers = bus.slice('kafka://'.length).split(',').filter(Boolean);
    const specifier = '@switchboard/bus/kafka';
    const mod = (await import(specifier)) as { KafkaTransport: new (o: { brokers: string[] }) => Transport };
    return new mod.KafkaTransport({ brokers });
  }
  throw new Error(`SWITCHBOARD_BUS: unsupported bus "${bus}"`);
}
