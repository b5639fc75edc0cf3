import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sign, startBus, TestClient } from './testing/harness.js';

describe('graceful drain', () => {
  it('tells 1,000 clients to reconnect elsewhere and finishes within the bound', async () => {
    const bus = await startBus(1, {
      drainTimeoutMs: 8_000,
      drainJitterMs: 500,
      reconnectDelayMaxMs: 2_000,
      limits: { maxConnectionsPerUser: 1_000 },
    });
    const node = bus.nodes[0]!;
    const clients: TestClient[] = [];
    try {
      const token = await sign({ sub: 'many' });
      for (let batch = 0; batch < 10; batch++) {
        const opened = Array.from({ length: 100 }, () => new TestClient(node.url, { token }));
        clients.push(...opened);
        await Promise.all(opened.map((c) => c.next((f) => f.kind === 'connected')));
      }
      expect(node.connections).toBe(1000);
      const result = await node.drain();
      expect(result).toEqual({ notified: 1000, forced: 0 });
      const closes = await Promise.all(clients.map((c) => c.closed));
      expect(closes.every((c) => c.code === 3000)).toBe(true);
      for (const c of clients) {
        const hint = c.frames.find((f) => f.kind === 'disconnect')?.disconnect;
        expect(hint?.reconnect).toBe(true);
        expect(hint?.code).toBe(3000);
      }
      expect(node.ready).toBe(false);
      const base = node.url.replace('ws://', 'http://').replace('/ws', '');
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      const late = new TestClient(node.url, { token });
      await expect(late.opened).rejects.toThrow();
    } finally {
      for (const c of clients) await c.close();
      await bus.close();
    }
  }, 30_000);

  it('main.ts drains on SIGTERM and exits 0', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        ...process.env,
        SWITCHBOARD_BUS: 'memory',
        SWITCHBOARD_EDGE_PORT: '0',
        SWITCHBOARD_EDGE_HOST: '127.0.0.1',
        SWITCHBOARD_DRAIN_JITTER_MS: '100',
        SWITCHBOARD_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const match = /"url":"(ws:\/\/[^"]+)"/.exec(buffered);
          if (match) resolve(match[1]!);
        });
        child.once('exit', () => reject(new Error(`exited early: ${buffered}`)));
      });
      const client = new TestClient(url, {});
      await client.opened;
      client.send({ id: 1, connect: {} });
      await client.next((f) => f.kind === 'connected');
      child.kill('SIGTERM');
      expect((await client.closed).code).toBe(3000);
      expect(client.frames.find((f) => f.kind === 'disconnect')?.disconnect?.reconnect).toBe(true);
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  }, 30_000);
});
