/**
 * Picks the bus transport from SWITCHBOARD_BUS. RabbitMQ and Kafka transports are imported lazily so the
 * edge runs on the memory bus without amqplib or kafkajs being loaded. The imports are typed: the options
 * below are checked against AmqpTransportOptions and KafkaTransportOptions by tsc.
 */
import type { Transport } from '@switchboard/bus';
import { MemoryTransport } from '@switchboard/bus/memory';
import type { Logger } from 'pino';

export interface TransportFactoryOptions {
  /** Transport logs go to a child of this logger; silent when absent. */
  readonly logger?: Logger;
  /** AMQP connection name / Kafka client id, so the broker shows which node a connection belongs to. */
  readonly clientName?: string;
}

/** `kafka://host:port,host:port` -> `['host:port', 'host:port']`. */
export function kafkaBrokers(bus: string): string[] {
  const brokers = bus
    .slice('kafka://'.length)
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers.length === 0)
    throw new Error(`SWITCHBOARD_BUS: "${bus}" names no broker (kafka://host:port,…)`);
  return brokers;
}

export async function createTransport(
  bus: string,
  options: TransportFactoryOptions = {},
): Promise<Transport> {
  if (bus === 'memory') return new MemoryTransport();
  if (bus.startsWith('amqp://') || bus.startsWith('amqps://')) {
    const { AmqpTransport } = await import('@switchboard/bus/amqp');
    // connect() waits for the first broker connection: a wrong URL fails the start, not the first publish.
    return AmqpTransport.connect({
      url: bus,
      logger: options.logger?.child({ bus: 'amqp' }),
      connectionName: options.clientName,
    });
  }
  if (bus.startsWith('kafka://')) {
    const { KafkaTransport } = await import('@switchboard/bus/kafka');
    return new KafkaTransport({
      brokers: kafkaBrokers(bus),
      logger: options.logger?.child({ bus: 'kafka' }),
      clientId: options.clientName,
    });
  }
  throw new Error(`SWITCHBOARD_BUS: unsupported bus "${bus}"`);
}
