/**
 * The Redis bus through Sentinel (`SWITCHBOARD_BUS=redis+sentinel://…`): it finds the primary through the
 * sentinels, and after the primary is SIGKILLed it follows the promoted replica — work published after the
 * failover is handled, with no reconfiguration. (What a failover may lose is in docs/operations.md.)
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { bytes, text, uniqueName, waitFor } from '../../packages/bus/src/conformance/wait.js';
import { RedisTransport } from '../../packages/bus/src/redis/index.js';
import { RedisSentinelGroup } from './redis-sentinel.js';

describe('Redis bus through Sentinel', () => {
  let group: RedisSentinelGroup | undefined;
  let transport: RedisTransport | undefined;

  beforeAll(async () => {
    group = await RedisSentinelGroup.start(6480);
  }, 120_000);

  afterAll(async () => {
    await transport?.close().catch(() => undefined);
    await group?.destroy();
  }, 60_000);

  it('handles work before and after the primary is killed', async () => {
    const g = group as RedisSentinelGroup;
    transport = await RedisTransport.connect({ url: g.url, publishTimeoutMs: 20_000 });
    const topic = uniqueName('sentinel');
    const handled: string[] = [];
    await transport.consumeWork(topic, { group: 'svc' }, async (m) => void handled.push(text(m.bytes)));
    await transport.publishWork(topic, 'k', bytes('before'));
    await waitFor('the message published before the kill', () => handled.includes('before'));

    const killedAt = Date.now();
    const killed = await g.killPrimary();
    const promoted = await g.awaitPromotedOtherThan(killed);
    await transport.publishWork(topic, 'k', bytes('after'));
    await waitFor('the message published after the failover', () => handled.includes('after'), 30_000);
    console.log(
      `[cluster redis] bus: primary :${killed} killed, :${promoted} promoted; work published after the kill handled ${Date.now() - killedAt} ms after it`,
    );
  }, 120_000);
});
