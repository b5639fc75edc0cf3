/**
 * The notifications service after lifecycle events were lost, for every ConnectionRegistry (memory: unit,
 * Redis: integration). The loss is real: the service's transport bounds `lifecycle` as RabbitMQ's
 * x-max-length with drop-head would, while the edge goes on without the service. The registry must notice
 * (sequence numbers) and be right again once the node re-announced — DELIVERED counting exactly the open
 * connections, and a connection whose open was lost getting the inbox its connect never brought.
 */
import { randomUUID } from 'node:crypto';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { decodeDeliveryReceipt, encodeOrderEvent, ReceiptStatus } from '@switchboard/protocol';
import { SequencedEdge } from '@switchboard/service-kit/testing';
import { describe, expect, it, vi } from 'vitest';
import type { ConnectionRegistry } from '../connection-registry.js';
import { MemoryInboxStore } from '../memory-inbox-store.js';
import type { NotificationsService } from '../notifications-service.js';
import { startBoundedNotifications } from './bounded-service.js';

const LEASE = 10_000;

export function describeNotificationsResync(
  name: string,
  makeRegistry: () => Promise<ConnectionRegistry> | ConnectionRegistry,
): void {
  describe(`${name}: notifications re-sync a node after lost lifecycle events`, () => {
    it('events dropped by the bound while away: right again after the node re-announces', async () => {
      const clock = 1_000_000;
      const id = randomUUID();
      const [nodeId, alice, bob] = [`n-${id}`, `alice-${id}`, `bob-${id}`];
      const broker = new MemoryBroker();
      const edgeTransport = new MemoryTransport({ broker });
      const registry = await makeRegistry();
      const store = new MemoryInboxStore();
      const edge = new SequencedEdge(edgeTransport, nodeId);
      await edge.listen();
      const receipts: string[] = [];
      await edgeTransport.consumeWork('receipts', { group: 'test' }, async (m) => {
        const receipt = decodeDeliveryReceipt(m.bytes);
        if (receipt.status === ReceiptStatus.DELIVERED) receipts.push(receipt.connectionId);
      });
      const running: { service: NotificationsService; transport: MemoryTransport }[] = [];
      const start = async () => {
        const started = await startBoundedNotifications({
          broker,
          store,
          registry,
          maxMessages: 2,
          leaseMs: LEASE,
          now: () => clock,
        });
        running.push(started);
        const { service } = started;
        return service;
      };
      const stop = async () => {
        for (const { service, transport } of running.splice(0)) {
          await service.stop();
          await transport.close();
        }
      };
      const c = (n: number) => `${nodeId}.c${n}`;
      try {
        await start();
        await edge.open(c(1), alice);
        await edge.heartbeat(LEASE);
        await vi.waitFor(async () =>
          expect((await registry.nodes()).find((n) => n.nodeId === nodeId)?.lastHeartbeatMs).toBe(clock),
        );
        expect(await registry.connections(alice)).toEqual([c(1)]);
        expect(edge.requests).toEqual([]); // an unbroken stream asks for nothing
        await stop();

        // Away: alice's connection closes, bob connects; the bound keeps the last two messages only.
        await edge.close(c(1));
        await edge.open(c(2), bob);
        await edge.heartbeat(LEASE);
        await edge.heartbeat(LEASE);
        expect(broker.group('lifecycle', 'notifications').dropped).toBe(2);
        // bob has an unacked notification: his connect's lost event never pushed it.
        await edgeTransport.publishWork(
          'orders',
          bob,
          encodeOrderEvent({ eventId: `e-${id}`, orderId: 'o1', userId: bob, timeMs: clock, paid: {} }),
        );

        const second = await start();
        await vi.waitFor(() => expect(edge.requests).toEqual(['notifications']));
        await edge.answered();
        await vi.waitFor(async () => expect(await registry.connections(bob)).toEqual([c(2)]));
        expect(await registry.connections(alice)).toEqual([]);
        expect(await registry.nodeConnections(nodeId)).toEqual([c(2)]);
        // DELIVERED to bob's connection: once the snapshot made it known (pushed with the inbox).
        await vi.waitFor(() => expect(receipts).toContain(c(2)));
        const metrics = await second.service.metrics.metrics();
        expect(metrics).toMatch(/switchboard_service_lifecycle_resyncs_total\{[^}]*stage="applied"[^}]*\} 1/);
      } finally {
        await stop();
        await edge.stop();
        await edgeTransport.close();
        await registry.close();
      }
    });
  });
}
