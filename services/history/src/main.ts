/**
 * History service entry point: config from the environment, logger, transport, store, service, and a
 * graceful stop on SIGTERM/SIGINT (service first, then the transport it does not own).
 */
import { connectBus } from '@switchboard/bus';
import { configWarnings, createLogger, runMain, shutdownOnSignals } from '@switchboard/service-kit';
import {
  type HistoryConfig,
  historyConfigSpec,
  historyServiceSettings,
  readHistoryConfig,
} from './config.js';
import { createHistoryStore } from './create-store.js';
import { createHistoryService } from './history-service.js';

async function run(config: HistoryConfig): Promise<void> {
  const logger = createLogger('history', { level: config.logLevel });
  for (const warning of configWarnings(process.env, historyConfigSpec, 'history')) logger.warn(warning);
  const transport = await connectBus(config.bus, { logger, clientName: 'history' });
  const store = createHistoryStore(config);
  logger.info(
    {
      store: config.redisUrl ? 'redis' : 'memory',
      maxChannels: config.maxChannels,
      maxChannelBytes: config.maxChannelBytes,
      maxTotalBytes: config.redisUrl ? undefined : config.maxTotalBytes,
    },
    'history store',
  );
  const service = createHistoryService({
    transport,
    store,
    logger,
    httpPort: config.httpPort,
    ...historyServiceSettings(config),
  });
  await service.start();
  shutdownOnSignals(logger, [() => service.stop(), () => store.close(), () => transport.close()]);
}

await runMain(() => run(readHistoryConfig(process.env)));
