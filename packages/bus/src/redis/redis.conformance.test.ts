import { startRedis } from '../../../../test/support/brokers.js';
import { redisOutage } from '../../../../test/support/container-outage.js';
import { runTransportConformance } from '../conformance/index.js';
import { RedisTransport } from './index.js';

/**
 * Against the Redis test/support/brokers.ts gives: a container by default (restartable; it saves an RDB on
 * its graceful stop and loads it again, so streams, groups and pending entries survive the restart case), or
 * REDIS_URL / SWITCHBOARD_TEST_BROKERS=local (the host's Redis: every case but the restart one). Short
 * timeouts so takeovers and rebalances take a second or two. The restart keeps Redis down 1.5 s (container
 * stopped, then started): a plain container restart took under a second here, shorter than the outage case
 * needs to see publishes time out while the broker is away.
 */
runTransportConformance('redis', async () => {
  const redis = await startRedis();
  return {
    patienceMs: 20_000,
    connect: (options) =>
      RedisTransport.connect({
        url: redis.url,
        visibilityTimeoutMs: 3_000,
        heartbeatIntervalMs: 250,
        blockMs: 250,
        retryDelayMs: 50,
        publishTimeoutMs: options?.publishTimeoutMs ?? 5_000,
        topicBounds: options?.topicBounds,
      }),
    restart: async () => {
      await redisOutage(redis.url, 1_500);
    },
    dispose: () => redis.stop(),
  };
});
