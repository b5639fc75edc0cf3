/**
 * `connectBus(url)`: the one place a process turns `SWITCHBOARD_BUS` into a Transport. RabbitMQ, Kafka and
 * Redis transports are imported lazily, so a process on the memory bus never loads amqplib, kafkajs or
 * ioredis. Used by the edge and by every service, so they agree on the URL forms:
 *   memory                          the in-process bus (one per process)
 *   amqp://user:pass@host:port/vhost, amqps://… (a cluster: several full URLs separated by commas)
 *   kafka://host:port,host:port[?replication=3&min_insync=2]   (kafka/kafka-replication.ts)
 *   redis://[user:pass@]host:port[/db], rediss://… (TLS), redis+sentinel://host:port,host:port/primary[/db]
 */
import type { TopicBoundsOption } from './backlog.js';
import { BusNameError } from './errors.js';
import type { Transport } from './transport.js';

/** The subset of pino's API the transports log through. */
export interface BusConnectLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): BusConnectLogger;
}

export interface ConnectBusOptions {
  /** Transport logs go to a child of this logger; silent when absent. */
  readonly logger?: BusConnectLogger;
  /** AMQP connection name / Kafka client id / Redis client name, so the broker shows which process a connection belongs to. */
  readonly clientName?: string;
  /**
   * Backlog bounds per work topic, merged over the default (`lifecycle` bounded, backlog.ts); `null` removes
   * one. Give every process of a deployment the same value: RabbitMQ and memory apply it where a group's
   * queues are declared (consumers), Redis where streams are written (publishers), Kafka where the topic is
   * created (whoever is first).
   */
  readonly topicBounds?: TopicBoundsOption;
}

/** `kafka://host:port,host:port[?…]` -> `['host:port', 'host:port']`. */
export function kafkaBrokers(url: string): string[] {
  const brokers = url
    .slice('kafka://'.length)
    .split('?')[0]!
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new BusNameError(`bus URL "${url}" names no broker (kafka://host:port,…)`);
  return brokers;
}

/** The bus kinds a URL may name, for config validation. */
export function busKind(url: string): 'memory' | 'amqp' | 'kafka' | 'redis' | undefined {
  if (url === 'memory') return 'memory';
  if (url.startsWith('amqp://') || url.startsWith('amqps://')) return 'amqp';
  if (url.startsWith('kafka://')) return 'kafka';
  if (url.startsWith('redis://') || url.startsWith('rediss://') || url.startsWith('redis+sentinel://'))
    return 'redis';
  return undefined;
}

export async function connectBus(url: string, options: ConnectBusOptions = {}): Promise<Transport> {
  switch (busKind(url)) {
    case 'memory': {
      const { MemoryTransport } = await import('./memory/index.js');
      return new MemoryTransport({ topicBounds: options.topicBounds });
    }
    case 'amqp': {
      const { AmqpTransport } = await import('./amqp/index.js');
      // connect() waits for the first broker connection: a wrong URL fails the start, not the first publish.
      return AmqpTransport.connect({
        url,
        logger: options.logger?.child({ bus: 'amqp' }),
        connectionName: options.clientName,
        topicBounds: options.topicBounds,
      });
    }
    case 'kafka': {
      const { KafkaTransport, replicationOfQuery } = await import('./kafka/index.js');
      return new KafkaTransport({
        brokers: kafkaBrokers(url),
        replication: replicationOfQuery(url.split('?')[1] ?? '', url),
        logger: options.logger?.child({ bus: 'kafka' }),
        clientId: options.clientName,
        topicBounds: options.topicBounds,
      });
    }
    case 'redis': {
      const { RedisTransport } = await import('./redis/index.js');
      // connect() waits for Redis to answer: a wrong URL fails the start, not the first publish.
      return RedisTransport.connect({
        url,
        logger: options.logger?.child({ bus: 'redis' }),
        connectionName: options.clientName,
        topicBounds: options.topicBounds,
      });
    }
    default:
      throw new BusNameError(
        `bus URL "${url}" is not supported: use memory, amqp://user:pass@host:port/vhost, kafka://host:port,… or redis://host:port`,
      );
  }
}
