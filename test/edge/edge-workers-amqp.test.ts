/**
 * `main.ts --workers 2` on RabbitMQ: two worker processes share one port, each its own node on the bus.
 * Clients land on both workers (cluster round-robin), a channel publication reaches subscribers on both,
 * and SIGTERM drains both workers and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { allRoute, channelRoute } from '../../packages/bus/src/index.js';
import { encodeDelivery } from '../../packages/protocol/src/index.js';
import { connect, SECRET, subscribe, type TestClient } from '../../services/edge/src/testing/harness.js';
import { type RabbitHandle, startRabbit } from '../support/brokers.js';
import { runId } from './edge-fixtures.js';

const edgeDir = fileURLToPath(new URL('../../services/edge/', import.meta.url));
const mainPath = fileURLToPath(new URL('../../services/edge/src/main.ts', import.meta.url));
const MAX_ATTEMPTS = 40;

describe('edge --workers 2 on RabbitMQ', () => {
  let rabbit: RabbitHandle;
  let service: AmqpTransport;
  beforeAll(async () => {
    rabbit = await startRabbit();
    service = await AmqpTransport.connect({ url: rabbit.url, connectionName: 'edge-it-workers-service' });
  });
  afterAll(async () => {
    await service?.close();
    await rabbit?.stop();
  });

  it('runs two nodes on one port; a channel publication reaches subscribers on both; SIGTERM exits 0', async () => {
    const run = runId();
    const nodeId = `edge-it-workers-${run}`;
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', mainPath, '--workers', '2'], {
      cwd: edgeDir,
      env: {
        ...process.env,
        SWITCHBOARD_BUS: rabbit.url,
        SWITCHBOARD_NODE_ID: nodeId,
        SWITCHBOARD_JWT_SECRET: SECRET,
        SWITCHBOARD_EDGE_HOST: '127.0.0.1',
        SWITCHBOARD_EDGE_PORT: '0',
        SWITCHBOARD_DRAIN_JITTER_MS: '100',
        SWITCHBOARD_RECONNECT_DELAY_MAX_MS: '100',
        SWITCHBOARD_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const clients: TestClient[] = [];
    try {
      const urls = await new Promise<string[]>((resolve, reject) => {
        const found = new Map<string, string>();
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          for (const match of output.matchAll(/"node":"([^"]+)","url":"(ws:\/\/[^"]+)"/g))
            found.set(match[1]!, match[2]!);
          if (found.size === 2) resolve([...found.values()]);
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', (code) => reject(new Error(`edge exited early (${code}): ${output}`)));
      });
      // Both workers listen on the same port.
      expect(new Set(urls).size).toBe(1);
      const url = urls[0]!;

      const byNode = new Map<string, { client: TestClient; id: string }>();
      for (let attempt = 0; attempt < MAX_ATTEMPTS && byNode.size < 2; attempt++) {
        const { client, id } = await connect(url, `user-${attempt}`);
        clients.push(client);
        const node = String(id).slice(0, String(id).lastIndexOf('.'));
        if (!byNode.has(node)) byNode.set(node, { client, id: String(id) });
      }
      expect([...byNode.keys()].sort()).toEqual([`${nodeId}-w0`, `${nodeId}-w1`]);

      const channel = `workers-${run}`;
      const subscribers = [...byNode.values()].map((c) => c.client);
      for (const client of subscribers) expect((await subscribe(client, 1, channel)).kind).toBe('subscribed');
      await service.publishDelivery(
        channelRoute(channel),
        encodeDelivery({ channel, publication: { channel, type: 'both', payload: new Uint8Array([7]) } }),
      );
      for (const client of subscribers) {
        const frame = await client.next((f) => f.publication?.type === 'both', 30_000);
        expect([...(frame.publication!.payload ?? [])]).toEqual([7]);
      }
      // Barrier: a marker to `all` after the publication; once a client has it, the publication would have too.
      await service.publishDelivery(
        allRoute,
        encodeDelivery({ all: true, push: { id: 'm', type: 'marker' } }),
      );
      for (const client of clients) await client.next((f) => f.push?.type === 'marker', 30_000);
      for (const client of clients)
        expect(client.count((f) => f.publication?.type === 'both')).toBe(
          subscribers.includes(client) ? 1 : 0,
        );

      child.kill('SIGTERM');
      const closes = await Promise.all(clients.map((c) => c.closed));
      expect(closes.map((c) => c.code)).toEqual(clients.map(() => 3000));
      expect(await exited).toBe(0);
    } finally {
      for (const client of clients) await client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
});
