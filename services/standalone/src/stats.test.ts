import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { EdgeNode } from '@switchboard/edge';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeStats } from './stats.js';

describe('EdgeStats', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  it('computes messages per second from the frames-out counter over the sampled window', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const edge = new EdgeNode(
      { nodeId: 'st', host: '127.0.0.1', port: 0, allowAnonymous: true },
      { transport },
    );
    await edge.start();
    cleanup.push(
      () => transport.close(),
      () => edge.close(),
    );
    let now = 1_000;
    const stats = new EdgeStats(edge, { sampleEveryMs: 0, windowMs: 5_000, now: () => now });
    expect((await stats.snapshot()).messagesPerSecond).toBe(0); // no sample yet
    await stats.sample();
    edge.metrics.framesOut.inc(30);
    now += 2_000;
    const snapshot = await stats.snapshot();
    expect(snapshot.messagesPerSecond).toBe(15);
    expect(snapshot.nodes).toEqual([{ id: 'st', connections: 0, messagesPerSecond: 15, status: 'ready' }]);
    // Old samples leave the window: the rate covers only the recent ones.
    await stats.sample();
    now += 6_000;
    await stats.sample();
    edge.metrics.framesOut.inc(12);
    now += 2_000;
    expect((await stats.snapshot()).messagesPerSecond).toBe(1.5);
    stats.stop();
  });
});
