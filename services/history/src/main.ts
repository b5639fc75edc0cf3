/**
 * History service entry point: config from the environment, logger, transport, store, service, and a
 * graceful stop on SIGTERM/SIGINT (service first, then the transport it does not own).
 */
import type { Transport } from '@switchboard/bus';
import { MemoryTransport } from '@switchboard/bus/memory';
import { ConfigError, createLogger } from '@switchboard/service-kit';
import { type HistoryConfig, readHistoryConfig } from './config.js';
import { createHistoryService } from './history-service.js';
import { MemoryHistoryStore } from './memory-history-store.js';

type Logger = ReturnType<typeof createLogger>;

async function createTransport(bus: string, logger: Logger): Promise<Transport> {
  if (bus === 'memory') return new MemoryTransport();
  if (bus.startsWith('amqp://') || bus.startsWith('amqps://')) {
    const { AmqpTransport } = await import('@switchboard/bus/amqp');
    return AmqpTransport.connect({
      url: bus,
      logger: logger.child({ bus: 'amqp' }),
      connectionName: 'history',
    });
  }
  const { KafkaTransport } = await import('@switchboard/bus/kafka');
  const brokers = bus
    .slice('kafka://'.length)
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  return new KafkaTransport({ brokers, logger: logger.child({ bus: 'kafka' }), clientId: 'history' });
}

async function run(config: HistoryConfig): Promise<void> {
  const logger = createLogger('history', { level: config.logLevel });
  const transport = await createTransport(config.bus, logger);
  const store = new MemoryHistoryStore({
    maxPerChannel: config.maxPerChannel,
    ttlMs: config.ttlSeconds * 1000,
  });
  const service = createHistoryService({ transport, store, logger, httpPort: config.httpPort });
  await service.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await service.stop();
      await store.close();
      await transport.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

try {
  await run(readHistoryConfig(process.env));
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exit(1);
}
