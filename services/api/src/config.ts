/**
 * Configuration of the HTTP API, read once from the environment by `main.ts` (libraries and tests pass
 * typed options to `startApi` instead). API_KEYS is required: an API without keys would let anyone push to
 * every client. The embedded demo opts out explicitly with API_ALLOW_NO_AUTH=true.
 */
import {
  boolean,
  busUrl,
  type ConfigOf,
  type Env,
  integer,
  list,
  logLevel,
  readServiceConfig,
  string,
} from '@switchboard/service-kit';

export const DEFAULT_HTTP_PORT = 8090;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;

export const apiConfigSpec = {
  httpPort: integer('API_HTTP_PORT', { default: DEFAULT_HTTP_PORT, min: 0, max: 65535 }),
  host: string('API_HOST', { optional: true }),
  keys: list('API_KEYS', { optional: true }),
  allowNoAuth: boolean('API_ALLOW_NO_AUTH', { default: false }),
  maxBodyBytes: integer('API_MAX_BODY_BYTES', {
    default: DEFAULT_MAX_BODY_BYTES,
    min: 1,
    max: 64 * 1024 * 1024,
  }),
  queryTimeoutMs: integer('API_QUERY_TIMEOUT_MS', {
    default: DEFAULT_QUERY_TIMEOUT_MS,
    min: 1,
    max: 120_000,
  }),
  nodeId: string('API_NODE_ID', { pattern: /^[A-Za-z0-9_-]{1,100}$/, optional: true }),
  bus: busUrl(),
  logLevel: logLevel(),
} as const;

export type ApiConfig = ConfigOf<typeof apiConfigSpec>;

export function readApiConfig(env: Env): ApiConfig {
  return readServiceConfig(env, apiConfigSpec, (config) =>
    (config.keys?.length ?? 0) === 0 && !config.allowNoAuth
      ? [
          {
            variable: 'API_KEYS',
            problem:
              'is required; set it to a comma-separated list of API keys, or set API_ALLOW_NO_AUTH=true (demo only)',
          },
        ]
      : [],
  );
}
