/**
 * `pnpm start`: Switchboard in one process — the edge, every business service, the HTTP API and the demo
 * page — on the in-process bus with in-memory stores by default (SWITCHBOARD_BUS=amqp://… or kafka://…
 * and REDIS_URL=… for real infrastructure). Prints one line with the URL; SIGTERM/SIGINT drain the edge,
 * stop the services, close the bus and exit 0 (the runtime's exit codes: docs/operations.md).
 */
import { runMain, shutdownOnSignals } from '@switchboard/runtime';
import { type AllInOneConfig, readAllInOneConfig } from './config.js';
import { createStandaloneLogger } from './logger.js';
import { startStandalone } from './standalone.js';

async function run(config: AllInOneConfig): Promise<void> {
  const pretty = config.prettyLogs ?? process.stdout.isTTY === true;
  const logger = createStandaloneLogger({ level: config.logLevel, pretty });
  for (const warning of config.warnings) logger.warn(warning);
  const app = await startStandalone(config, { logger });
  const { bus } = config.edge;
  logger.info(
    {
      bus: bus === 'memory' ? 'memory' : new URL(bus).protocol.slice(0, -1),
      stores: config.redisUrl ? 'redis' : 'memory',
      host: config.edge.node.host,
      ws: app.wsUrl,
      api: app.apiUrl,
      apiAuth: config.apiKeys?.length ? 'API_KEYS' : 'none (embedded demo)',
      demo: app.demo,
      internal: app.internalUrl,
    },
    'switchboard started',
  );
  if (config.edge.node.allowAnonymous) logger.warn('anonymous connections are allowed');
  const tokens = app.demo ? `  (demo tokens: ${app.url}/dev/token?user=alice)` : '';
  const line = `Switchboard is running: ${app.url}${tokens}`;
  if (pretty) process.stdout.write(`\n  ${line}\n\n`);
  else logger.info({ url: app.url }, line);

  shutdownOnSignals(logger, [{ name: 'stop', run: () => app.stop() }, async () => logger.info('stopped')]);
}

await runMain(() => run(readAllInOneConfig(process.env)));
