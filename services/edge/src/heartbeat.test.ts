import { connect as tcpConnect } from 'node:net';
import { CloseCode } from '@switchboard/protocol';
import { describe, expect, it, vi } from 'vitest';
import { sign, startBus, TestClient } from './testing/harness.js';

describe('heartbeat', () => {
  it('a peer that stops answering pings gets Disconnect and close 3002 (NoPong), counted; a live peer stays', async () => {
    const bus = await startBus(1, { pingIntervalMs: 50, idleTimeoutMs: 200 });
    const node = bus.nodes[0]!;
    const dead = new TestClient(node.url, { token: await sign({ sub: 'dead' }), autoPong: false });
    const live = new TestClient(node.url, { token: await sign({ sub: 'live' }) });
    try {
      await dead.next((f) => f.kind === 'connected');
      await live.next((f) => f.kind === 'connected');
      expect((await dead.closed).code).toBe(CloseCode.NoPong);
      expect(dead.frames.at(-1)?.disconnect).toMatchObject({ code: CloseCode.NoPong, reconnect: true });
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

  it('a peer that does not answer the close either is cut a tick later, its close still counted as 3002', async () => {
    const bus = await startBus(1, { pingIntervalMs: 50, idleTimeoutMs: 200 });
    const node = bus.nodes[0]!;
    // A raw WebSocket handshake, then silence: no pong, no close frame back. ws alone would wait 30 s.
    const socket = tcpConnect(node.port, '127.0.0.1');
    const token = await sign({ sub: 'gone' });
    socket.write(
      `GET /ws?token=${token} HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(received).toMatch(/^HTTP\/1.1 101/);
      // It was told first: a close frame with 3002 (0x0bba) and its reason came before the cut.
      expect(received).toContain('\x0b\xbano pong');
      // The server's close handling runs after the client side saw the socket go.
      await vi.waitFor(async () => {
        const closes = await node.metrics.registry.getSingleMetricAsString('switchboard_edge_closes_total');
        expect(closes).toMatch(/code="3002",node="n0"\} 1/);
      });
      const dead = await node.metrics.registry.getSingleMetricAsString('switchboard_edge_dead_peers_total');
      expect(dead).toMatch(/dead_peers_total\{node="n0"\} 1/);
    } finally {
      socket.destroy();
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
