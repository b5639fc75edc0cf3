/**
 * Edge process entry point: config from the environment, root pino logger, transport, EdgeNode, and the
 * shutdown order (readiness false -> stop accepting -> tell clients to reconnect -> bounded wait -> close
 * bus -> exit 0). `--workers N` forks N processes sharing the port, each its own node on the bus. Exit
 * codes are the runtime's (docs/operations.md).
 */
import cluster from 'node:cluster';
import { connectBus, lifecycleBounds } from '@switchboard/bus';
import { createLogger, ExitCode, runMain, shutdownOnSignals } from '@switchboard/runtime';
import { type EdgeConfig, loadConfig } from './config.js';
import { EdgeNode } from './edge-node.js';

async function runNode(config: EdgeConfig, nodeId: string): Promise<void> {
  const logger = createLogger('edge', { level: config.logLevel });
  const transport = await connectBus(config.bus, {
    logger,
    clientName: nodeId,
    topicBounds: lifecycleBounds(config.lifecycle),
  });
  const node = new EdgeNode({ ...config.node, nodeId }, { transport, logger });
  await node.start();
  if (config.node.allowAnonymous) logger.warn('anonymous connections are allowed');
  for (const warning of config.warnings) logger.warn(warning);
  logger.info({ node: nodeId, url: node.url, bus: transport.kind }, 'edge started');
  shutdownOnSignals(
    logger,
    [
      {
        name: 'drain',
        run: async () => logger.info(await node.drain(), 'drain finished'),
      },
      { name: 'close node', run: () => node.close() },
      { name: 'close bus', run: () => transport.close() },
    ],
    // The drain has its own bound; the whole stop gets that plus time to close the rest.
    { timeoutMs: (config.node.drainTimeoutMs ?? 0) + (config.node.drainJitterMs ?? 0) + 10_000 },
  );
}

function runPrimary(config: EdgeConfig): void {
  const logger = createLogger('edge', { level: config.logLevel });
  const nodeId = config.node.nodeId;
  let stopping = false;
  for (let i = 0; i < config.workers; i++) cluster.fork({ SWITCHBOARD_NODE_ID: `${nodeId}-w${i}` });
  cluster.on('exit', (worker, code) => {
    if (!stopping) logger.error({ worker: worker.id, code }, 'edge worker died');
    if (Object.keys(cluster.workers ?? {}).length === 0)
      process.exit(stopping ? ExitCode.Ok : ExitCode.Failure);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await runMain(async () => {
  const config = loadConfig(process.env, process.argv.slice(2));
  if (config.workers > 1 && cluster.isPrimary) runPrimary(config);
  else await runNode(config, config.node.nodeId);
});
