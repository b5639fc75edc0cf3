/**
 * Peer (c): one Switchboard edge process (services/edge EdgeNode, the code `pnpm start` runs) on the bus
 * named by --bus (memory | amqp://… | kafka://…). Anonymous connections allowed; --jwt-secret adds HS256
 * tokens (the roundtrip senders). Rate limits raised so the load generator is never throttled.
 *
 * Memory bus: the bus exists inside one process only, so the publisher has to live in this process
 * (--publisher): it is driven like the others, but shares the edge's CPU. With --services the chat and
 * history services run here too (roundtrip on the memory bus). Both only make sense with one edge process.
 */
import { connectBus } from '@switchboard/bus';
import { EdgeNode } from '@switchboard/edge';
import { Publisher } from '@switchboard/publisher';
import { payloadString } from '../lib/payload.mjs';
import { args, drivePublisher } from '../lib/pub-driver.mjs';

const opts = args() as Record<string, string | undefined>;
const bus = opts.bus ?? 'memory';
const nodeId = opts['node-id'] ?? `bench-edge-${process.pid}`;
// Start-up phases, reported with `ready` (the storm scenario records them): process start to this line
// (module loading), the bus connection, and the edge's own start (inbox, lifecycle, listening).
const loadedMs = performance.now();
const transport = await connectBus(bus, { clientName: nodeId });
const busMs = performance.now() - loadedMs;
const node = new EdgeNode(
  {
    nodeId,
    host: opts.host ?? '127.0.0.1',
    port: Number(opts.port ?? 0),
    allowAnonymous: true,
    jwtSecret: opts['jwt-secret'],
    limits: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, maxConnectionsPerUser: 100_000 },
  },
  { transport },
);
const startAt = performance.now();
await node.start();
const startMs = performance.now() - startAt;
if (opts.services === 'true') {
  // Imported only here: chat and history (and their Redis stores) are not part of an edge's start-up.
  const { startServices } = await import('./switchboard-services.js');
  await startServices(transport);
}
if (opts.publisher === 'true') {
  const publisher = new Publisher(transport);
  const channel = opts.channel ?? 'bench';
  drivePublisher((seq) => publisher.toChannel(channel, 'bench', Buffer.from(payloadString(seq), 'latin1')));
}
const phases = { loadMs: Math.round(loadedMs), busMs: Math.round(busMs), startMs: Math.round(startMs) };
process.send?.({ type: 'ready', port: node.port, pid: process.pid, nodeId, phases });
const stop = async () => {
  await node.close().catch(() => undefined);
  await transport.close().catch(() => undefined);
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
