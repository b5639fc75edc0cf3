import { InterestIndex, type NodeSubscription } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { decodeLifecycleEvent, type LifecycleEvent } from '@switchboard/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from './connection.js';
import { HEARTBEAT_CHANNELS, LIFECYCLE_TOPIC, Lifecycle } from './lifecycle.js';
import { LocalIndex } from './local-index.js';

/** What LocalIndex reads and writes of a connection: its id, user and channel set. */
function conn(i: number): Connection {
  const channels = new Set<string>();
  return {
    id: `n1.c${i}`,
    userId: '',
    get channels() {
      return [...channels];
    },
    addChannel: (channel: string) => channels.add(channel),
    removeChannel: (channel: string) => channels.delete(channel),
  } as unknown as Connection;
}

describe('the busiest channels a node heartbeat reports', () => {
  let transport: MemoryTransport;
  let node: NodeSubscription;
  let index: LocalIndex;

  beforeEach(async () => {
    transport = new MemoryTransport({ broker: new MemoryBroker() });
    node = await transport.openNode('n1', () => undefined);
    index = new LocalIndex(new InterestIndex(node));
  });
  afterEach(async () => {
    await node.close();
    await transport.close();
  });

  async function subscribe(channel: string, connections: Connection[]) {
    for (const c of connections) await index.subscribe(c, channel);
  }

  it('lists channels by local subscribers, busiest first, ties by name, at most `limit`', async () => {
    const cs = Array.from({ length: 5 }, (_, i) => conn(i));
    await subscribe('quiet', cs.slice(0, 1));
    await subscribe('busy', cs);
    await subscribe('b-mid', cs.slice(0, 3));
    await subscribe('a-mid', cs.slice(2, 5));
    expect(index.busiestChannels(10)).toEqual([
      { channel: 'busy', subscribers: 5 },
      { channel: 'a-mid', subscribers: 3 },
      { channel: 'b-mid', subscribers: 3 },
      { channel: 'quiet', subscribers: 1 },
    ]);
    expect(index.busiestChannels(2).map((c) => c.channel)).toEqual(['busy', 'a-mid']);
    expect(index.busiestChannels(0)).toEqual([]);
  });

  it('follows unsubscribes and removed connections', async () => {
    const [a, b] = [conn(1), conn(2)];
    await subscribe('news', [a, b]);
    await subscribe('sport', [a]);
    await index.unsubscribe(b, 'news');
    expect(index.busiestChannels(10)).toEqual([
      { channel: 'news', subscribers: 1 },
      { channel: 'sport', subscribers: 1 },
    ]);
    await index.addConnection(a);
    await index.removeConnection(a);
    expect(index.busiestChannels(10)).toEqual([]);
  });

  it('keeps the top of many channels (the selection is not fooled by insertion order)', async () => {
    const cs = Array.from({ length: 40 }, (_, i) => conn(i));
    // Channel k has k subscribers; inserted in an order that is neither ascending nor descending.
    const order = Array.from({ length: 40 }, (_, k) => (k * 17) % 40);
    for (const k of order) await subscribe(`ch${k}`, cs.slice(0, k));
    expect(index.busiestChannels(HEARTBEAT_CHANNELS).map((c) => c.subscribers)).toEqual([
      39, 38, 37, 36, 35, 34, 33, 32, 31, 30,
    ]);
  });

  it('the heartbeat carries connections and at most HEARTBEAT_CHANNELS channels', async () => {
    const consumer = new MemoryTransport({ broker: new MemoryBroker() });
    const messages: LifecycleEvent[] = [];
    await consumer.consumeWork(LIFECYCLE_TOPIC, { group: 'presence' }, async (m) => {
      messages.push(decodeLifecycleEvent(m.bytes));
    });
    const lifecycle = new Lifecycle(consumer, 'n1', pino({ level: 'silent' }));
    const busiestChannels = Array.from({ length: HEARTBEAT_CHANNELS + 5 }, (_, i) => ({
      channel: `c${i}`,
      subscribers: 100 - i,
    }));
    lifecycle.startHeartbeat(60_000, () => ({ connections: 7, busiestChannels }));
    try {
      await expect.poll(() => messages.length).toBe(1);
      const heartbeat = messages[0]?.heartbeat;
      expect(heartbeat?.connections).toBe(7);
      expect(heartbeat?.leaseMs).toBe(180_000);
      expect(heartbeat?.busiestChannels?.map((c) => [c.channel, c.subscribers])).toEqual(
        busiestChannels.slice(0, HEARTBEAT_CHANNELS).map((c) => [c.channel, c.subscribers]),
      );
    } finally {
      lifecycle.stop();
      await consumer.close();
    }
  });
});
