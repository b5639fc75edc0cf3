/**
 * Edge process entry point: config from the environment, root pino logger, transport, EdgeNode, and the
 * shutdown order (readiness false -> stop accepting -> tell clients to reconnect -> bounded wait -> close
 * bus -> exit 0). `--workers N` forks N processes sharing the port, each its own node on the bus.
 */
import cluster from 'node:cluster';
import { connectBus, lifecycleBounds } from '@switchboard/bus';
import { pino } from 'pino';
import { ConfigError, type EdgeConfig, loadConfig } from './config.js';
import { EdgeNode } from './edge-node.js';

async function runNode(config: EdgeConfig, nodeId: string): Promise<void> {
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
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
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      const result = await node.drain();
      logger.info(result, 'drain finished');
      await node.close();
      await transport.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function runPrimary(config: EdgeConfig): void {
  const logger = pino({ level: config.logLevel });
  const nodeId = config.node.nodeId;
  let stopping = false;
  for (let i = 0; i < config.workers; i++) cluster.fork({ SWITCHBOARD_NODE_ID: `${nodeId}-w${i}` });
  cluster.on('exit', (worker, code) => {
    if (!stopping) logger.error({ worker: worker.id, code }, 'edge worker died');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

try {
  const config = loadConfig(process.env, process.argv.slice(2));
  if (config.workers > 1 && cluster.isPrimary) runPrimary(config);
  else await runNode(config, config.node.nodeId);
} catch (error) {
  console.error(error instanceof ConfigError ? `config error: ${error.message}` : error);
  process.exit(1);
}
