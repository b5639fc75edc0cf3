import { describe, expect, it } from 'vitest';
import { sign, startBus, TestClient } from './testing/harness.js';

describe('heartbeat', () => {
  it('closes a peer that stops answering pings and counts it; a live peer stays', async () => {
    const bus = await startBus(1, { pingIntervalMs: 50, idleTimeoutMs: 200 });
    const node = bus.nodes[0]!;
    const dead = new TestClient(node.url, { token: await sign({ sub: 'dead' }), autoPong: false });
    const live = new TestClient(node.url, { token: await sign({ sub: 'live' }) });
    try {
      await dead.next((f) => f.kind === 'connected');
      await live.next((f) => f.kind === 'connected');
      expect((await dead.closed).code).toBe(1006);
      expect(live.ws.readyState).toBe(live.ws.OPEN);
      const metrics = await node.metrics.registry.getSingleMetricAsString(
        'switchboard_edge_dead_peers_total',
      );
      expect(metrics).toMatch(/switchboard_edge_dead_peers_total\{node="n0"\} 1/);
    } finally {
      await dead.close();
      await live.close();
      await bus.close();
    }
  });

  it('answers an app-level Ping with Pong', async () => {
    const bus = await startBus(1);
    const client = new TestClient(bus.nodes[0]!.url, { token: await sign({ sub: 'p' }), json: true });
    try {
      await client.next((f) => f.kind === 'connected');
      client.send({ id: 9, ping: { timeMs: 1 } });
      expect((await client.next((f) => f.id === 9)).kind).toBe('pong');
    } finally {
      await client.close();
      await bus.close();
    }
  });
});
