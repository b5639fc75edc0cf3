import { ConfigError } from '@switchboard/service-kit';
import { describe, expect, it } from 'vitest';
import { loadPresenceConfig } from './config.js';

describe('loadPresenceConfig', () => {
  it('has defaults', () => {
    expect(loadPresenceConfig({})).toEqual({
      httpPort: 9104,
      leaseMs: 15_000,
      sweepMs: 1_000,
      redisUrl: undefined,
      bus: 'memory',
      logLevel: 'info',
      lifecycleMaxBacklog: 200_000,
      lifecycleMaxAgeMs: 3_600_000,
    });
  });

  it('reads the lifecycle backlog bound; 0 turns a kind of bound off, negatives are refused', () => {
    expect(
      loadPresenceConfig({
        SWITCHBOARD_LIFECYCLE_MAX_BACKLOG: '0',
        SWITCHBOARD_LIFECYCLE_MAX_AGE_MS: '60000',
      }),
    ).toMatchObject({ lifecycleMaxBacklog: 0, lifecycleMaxAgeMs: 60_000 });
    expect(() => loadPresenceConfig({ SWITCHBOARD_LIFECYCLE_MAX_BACKLOG: '-1' })).toThrow(
      /SWITCHBOARD_LIFECYCLE_MAX_BACKLOG/,
    );
  });

  it('reads the variables and refuses a sweep longer than the lease', () => {
    const config = loadPresenceConfig({
      PRESENCE_LEASE_MS: '5000',
      PRESENCE_SWEEP_MS: '500',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SWITCHBOARD_BUS: 'amqp://localhost',
    });
    expect(config).toMatchObject({ leaseMs: 5_000, sweepMs: 500, redisUrl: 'redis://127.0.0.1:6379' });
    expect(() => loadPresenceConfig({ PRESENCE_LEASE_MS: '1000', PRESENCE_SWEEP_MS: '2000' })).toThrow(
      ConfigError,
    );
    expect(() => loadPresenceConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
  });
});
