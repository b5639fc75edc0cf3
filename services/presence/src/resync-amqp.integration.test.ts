/**
 * Issue 17 on RabbitMQ: presence stops, the edge goes on (a connection closes, another opens), the bounded
 * lifecycle queue (x-max-length, drop-head) drops the oldest of it, presence comes back — and is right
 * again within one lease: the heartbeats that survived show the hole, the node is asked to re-announce on
 * its own route, and its snapshot replaces what presence held. A vhost of its own keeps the services'
 * fixed queue names away from other runs on a shared broker.
 */
import { AmqpTransport } from '@switchboard/bus/amqp';
import { SequencedEdge } from '@switchboard/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../test/support/brokers.js';
import { ownVhost } from '../../../test/support/rabbitmq.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { PresenceService } from './presence-service.js';

const LEASE = 15_000;
const ROOM = 'presence-room';
/** Per group, split over 16 shard queues: 2 messages for the one shard a node's key lands on. */
const BOUND = 32;

describe('presence on RabbitMQ after the lifecycle bound dropped events', () => {
  let rabbit: RabbitHandle;
  let vhost: { url: string; remove(): Promise<void> };
  const closing: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    rabbit = await startRabbit();
    vhost = await ownVhost(rabbit.url, 'sb-resync');
  }, 180_000);

  afterAll(async () => {
    for (const resource of closing.splice(0).reverse()) await resource.close().catch(() => undefined);
    await vhost?.remove();
    await rabbit?.stop();
  }, 60_000);

  it('is right again within one lease of coming back', async () => {
    const edgeTransport = await AmqpTransport.connect({ url: vhost.url, connectionName: 'edge' });
    closing.push(edgeTransport);
    const edge = new SequencedEdge(edgeTransport, 'edge-1');
    await edge.listen();
    closing.push({ close: () => edge.stop() });
    const store = new MemoryPresenceStore();
    const start = async () => {
      const transport = await AmqpTransport.connect({
        url: vhost.url,
        connectionName: 'presence',
        topicBounds: { lifecycle: { maxMessages: BOUND } },
      });
      const presence = new PresenceService({ transport, store, leaseMs: LEASE });
      await presence.start();
      return {
        presence,
        close: async () => {
          await presence.stop();
          await transport.close();
        },
      };
    };
    const members = async () => (await store.members(ROOM)).map((m) => m.userId).sort();

    const first = await start();
    await edge.open('edge-1.c1', 'alice', [ROOM]);
    await edge.open('edge-1.c2', 'bob', [ROOM]);
    await edge.heartbeat(LEASE);
    await vi.waitFor(async () => expect(await members()).toEqual(['alice', 'bob']), { timeout: 10_000 });
    await first.close();

    // Away: alice leaves, carol comes; the shard queue keeps the last two messages (the heartbeats).
    await edge.close('edge-1.c1');
    await edge.open('edge-1.c3', 'carol', [ROOM]);
    await edge.heartbeat(LEASE);
    await edge.heartbeat(LEASE);

    const back = Date.now();
    const second = await start();
    closing.push(second);
    // A heartbeat every lease/3, as an edge sends them.
    const beats = setInterval(() => void edge.heartbeat(LEASE).catch(() => undefined), LEASE / 3);
    try {
      await vi.waitFor(async () => expect(await members()).toEqual(['bob', 'carol']), {
        timeout: LEASE,
        interval: 100,
      });
    } finally {
      clearInterval(beats);
    }
    expect(edge.requests).toContain('presence');
    expect(Date.now() - back).toBeLessThan(LEASE);
  }, 60_000);
});
