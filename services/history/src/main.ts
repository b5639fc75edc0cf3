/**
 * History service entry point: config from the environment, logger, transport, store, service, and a
 * graceful stop on SIGTERM/SIGINT (service first, then the transport it does not own).
 */
import { connectBus } from '@switchboard/bus';
import { ConfigError, createLogger } from '@switchboard/service-kit';
import { type HistoryConfig, readHistoryConfig } from './config.js';
import { createHistoryStore } from './create-store.js';
import { createHistoryService } from './history-service.js';

async function run(config: HistoryConfig): Promise<void> {
  const logger = createLogger('history', { level: config.logLevel });
  const transport = await connectBus(config.bus, { logger, clientName: 'history' });
  const store = createHistoryStore(config);
  logger.info({ store: config.redisUrl ? 'redis' : 'memory' }, 'history store');
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
