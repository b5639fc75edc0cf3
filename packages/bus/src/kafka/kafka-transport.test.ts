/** Behaviour without a reachable broker: publishes fail loudly, close is clean. No broker needed. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BusClosedError, BusUnavailableError } from '../errors.js';
import { allRoute } from '../routes.js';
import type { TransportEvent } from '../transport.js';
import { KafkaTransport } from './index.js';

/** A loopback port nobody listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const bytes = new TextEncoder().encode('x');

describe('KafkaTransport without a broker', () => {
  it('rejects a publish with BusUnavailableError after publishTimeoutMs and reports the disconnect', async () => {
    const transport = new KafkaTransport({
      brokers: [`127.0.0.1:${await deadPort()}`],
      publishTimeoutMs: 1_500,
      connectionTimeoutMs: 200,
    });
    const events: TransportEvent[] = [];
    transport.on('event', (event) => events.push(event));
    try {
      await expect(transport.publishWork('orders', 'k', bytes)).rejects.toBeInstanceOf(BusUnavailableError);
      await expect(transport.publishDelivery(allRoute, bytes)).rejects.toBeInstanceOf(BusUnavailableError);
      expect(events.map((event) => event.type)).toEqual(['disconnected']);
    } finally {
      await transport.close();
    }
  });

  it('rejects a pending publish with BusClosedError when closed, and every use afterwards', async () => {
    const transport = new KafkaTransport({
      brokers: [`127.0.0.1:${await deadPort()}`],
      publishTimeoutMs: 60_000,
      connectionTimeoutMs: 200,
    });
    const pending = transport.publishWork('orders', 'k', bytes);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await transport.close();
    await transport.close();
    await expect(pending).rejects.toBeInstanceOf(BusClosedError);
    await expect(transport.publishWork('orders', 'k', bytes)).rejects.toBeInstanceOf(BusClosedError);
    await expect(transport.publishDelivery(allRoute, bytes)).rejects.toBeInstanceOf(BusClosedError);
    await expect(
      transport.consumeWork('orders', { group: 'g' }, async () => undefined),
    ).rejects.toBeInstanceOf(BusClosedError);
    await expect(transport.openNode('n1', () => undefined)).rejects.toBeInstanceOf(BusClosedError);
  });
});
