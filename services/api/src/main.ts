/** Entry point of the API process: config from the environment, bus transport, HTTP server, clean stop. */

import { connectBus } from '@switchboard/bus';
import { configWarnings, createLogger, runMain, shutdownOnSignals } from '@switchboard/runtime';
import { apiConfigSpec, readApiConfig } from './config.js';
import { startApi } from './server.js';

await runMain(async () => {
  const config = readApiConfig(process.env);
  const log = createLogger('api', { level: config.logLevel });
  for (const warning of configWarnings(process.env, apiConfigSpec, 'the API')) log.warn(warning);
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
  shutdownOnSignals(log, [
    { name: 'close api', run: () => api.close() },
    { name: 'close bus', run: () => transport.close() },
  ]);
});
