/**
 * Notifications service entry point: config from the environment, logger, transport, inbox store and
 * connection registry (Redis when REDIS_URL is set, in memory otherwise), service, and a graceful stop on
 * SIGTERM/SIGINT (service first, then the store, the registry and the transport it does not own).
 */

import { connectBus, lifecycleBounds } from '@switchboard/bus';
import { configWarnings, createLogger, runMain, shutdownOnSignals } from '@switchboard/service-kit';
import { type NotificationsConfig, notificationsConfigSpec, readNotificationsConfig } from './config.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { InboxStore } from './inbox-store.js';
import { MemoryConnectionRegistry } from './memory-connection-registry.js';
import { MemoryInboxStore } from './memory-inbox-store.js';
import { createNotificationsService, NOTIFICATIONS_SERVICE } from './notifications-service.js';
import { RedisConnectionRegistry } from './redis-connection-registry.js';
import { RedisInboxStore } from './redis-inbox-store.js';

async function run(config: NotificationsConfig): Promise<void> {
  const logger = createLogger(NOTIFICATIONS_SERVICE, { level: config.logLevel });
  for (const warning of configWarnings(process.env, notificationsConfigSpec, NOTIFICATIONS_SERVICE))
    logger.warn(warning);
  const transport = await connectBus(config.bus, {
    logger,
    clientName: NOTIFICATIONS_SERVICE,
    topicBounds: lifecycleBounds({
      maxMessages: config.lifecycleMaxBacklog,
      maxAgeMs: config.lifecycleMaxAgeMs,
    }),
  });
  const store: InboxStore = config.redisUrl
    ? new RedisInboxStore({ url: config.redisUrl, maxPerUser: config.maxPerUser })
    : new MemoryInboxStore({ maxPerUser: config.maxPerUser });
  const registry: ConnectionRegistry = config.redisUrl
    ? new RedisConnectionRegistry({ url: config.redisUrl })
    : new MemoryConnectionRegistry();
  if (!config.redisUrl)
    logger.warn(
      'REDIS_URL unset: the inbox and the open-connection registry are in memory (one instance only) and lost on restart',
    );
  const notifications = createNotificationsService({
    transport,
    store,
    registry,
    leaseMs: config.leaseMs,
    nodeSweepIntervalMs: config.nodeSweepMs,
    logger,
    httpPort: config.httpPort,
    ttlMs: config.ttlSeconds * 1000,
    sweepIntervalMs: config.sweepIntervalMs,
  });
  await notifications.start();
  shutdownOnSignals(logger, [
    () => notifications.stop(),
    () => store.close(),
    () => registry.close(),
    () => transport.close(),
  ]);
}

await runMain(() => run(readNotificationsConfig(process.env)));
