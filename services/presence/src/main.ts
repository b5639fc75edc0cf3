/**
 * Presence process entry point: config, logger, store (Redis when REDIS_URL is set, memory otherwise),
 * transport, service; SIGTERM/SIGINT stop the service, then the store, then the bus.
 */
import { hostname } from 'node:os';
import { connectBus, lifecycleBounds } from '@switchboard/bus';
import { configWarnings, createLogger, runMain, shutdownOnSignals } from '@switchboard/service-kit';
import { loadPresenceConfig, presenceConfigSpec } from './config.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { PresenceService } from './presence-service.js';
import type { PresenceStore } from './presence-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';

await runMain(async () => {
  const config = loadPresenceConfig(process.env);
  const logger = createLogger('presence', { level: config.logLevel });
  for (const warning of configWarnings(process.env, presenceConfigSpec, 'presence')) logger.warn(warning);
  const store: PresenceStore = config.redisUrl
    ? RedisPresenceStore.connect(config.redisUrl)
    : new MemoryPresenceStore();
  const transport = await connectBus(config.bus, {
    logger,
    clientName: `presence-${hostname()}`,
    topicBounds: lifecycleBounds({
      maxMessages: config.lifecycleMaxBacklog,
      maxAgeMs: config.lifecycleMaxAgeMs,
    }),
  });
  const presence = new PresenceService({
    transport,
    store,
    leaseMs: config.leaseMs,
    sweepMs: config.sweepMs,
    logger,
    httpPort: config.httpPort,
  });
  await presence.start();
  logger.info(
    { bus: transport.kind, store: config.redisUrl ? 'redis' : 'memory', leaseMs: config.leaseMs },
    'presence started',
  );
  shutdownOnSignals(logger, [() => presence.stop(), () => store.close(), () => transport.close()]);
});
