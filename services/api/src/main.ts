/** Entry point of the API process: config from the environment, bus transport, HTTP server, clean stop. */

import { connectBus } from '@switchboard/bus';
import { ConfigError, createLogger } from '@switchboard/service-kit';
import { readApiConfig } from './config.js';
import { startApi } from './server.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof readApiConfig>;
  try {
    config = readApiConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  const log = createLogger('api', { level: config.logLevel });
  if (!config.keys?.length) log.warn('API_ALLOW_NO_AUTH=true: the API accepts requests without a key');
  const transport = await connectBus(config.bus, { logger: log, clientName: 'switchboard-api' });
  const api = await startApi({
    transport,
    keys: config.keys?.length ? config.keys : null,
    port: config.httpPort,
    ...(config.host ? { host: config.host } : { host: '0.0.0.0' }),
    maxBodyBytes: config.maxBodyBytes,
    queryTimeoutMs: config.queryTimeoutMs,
    ...(config.nodeId ? { nodeId: config.nodeId } : {}),
    logger: log,
  });
  log.info({ url: api.url, bus: transport.kind }, 'switchboard api started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    try {
      await api.close();
      await transport.close();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`api failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
