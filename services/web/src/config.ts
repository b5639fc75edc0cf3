/**
 * Configuration of the web process, read once from the environment by main.ts, with the runtime's builder
 * (every problem at once, each naming its variable and the fix) and the one HS256 secret rule.
 *   WEB_HTTP_PORT (8088), WEB_HOST (0.0.0.0), WEB_WS_URL (/ws), WEB_API_BASE (/api),
 *   WEB_API_URL (e.g. http://127.0.0.1:8090; unset: no order forwarding),
 *   WEB_DEV_TOKENS (false), WEB_DEV_TOKEN_TTL_SECONDS (3600), SWITCHBOARD_JWT_SECRET, SWITCHBOARD_LOG_LEVEL.
 */
import {
  boolean,
  type Env,
  integer,
  jwtSecret,
  logLevel,
  readServiceConfig,
  string,
  url,
} from '@switchboard/runtime';
import { DEV_TOKEN_TTL_SECONDS } from './dev-tokens.js';

export const webConfigSpec = {
  port: integer('WEB_HTTP_PORT', { default: 8088, min: 0, max: 65535 }),
  host: string('WEB_HOST', { default: '0.0.0.0' }),
  wsUrl: string('WEB_WS_URL', { default: '/ws' }),
  apiBase: string('WEB_API_BASE', { default: '/api' }),
  apiUrl: url('WEB_API_URL', { protocols: ['http', 'https'], optional: true }),
  demo: boolean('WEB_DEV_TOKENS', { default: false }),
  devTokenTtlSeconds: integer('WEB_DEV_TOKEN_TTL_SECONDS', { default: DEV_TOKEN_TTL_SECONDS, min: 1 }),
  secret: jwtSecret(),
  logLevel: logLevel(),
  /** No longer read: only named so that setting it gets a warning rather than silence. */
  retiredApiKey: string('WEB_API_KEY', { optional: true }),
};

export function readWebConfig(env: Env) {
  const { secret, retiredApiKey, ...config } = readServiceConfig(env, webConfigSpec, (c) =>
    c.demo && !c.secret
      ? [{ variable: 'WEB_DEV_TOKENS', problem: 'is true but SWITCHBOARD_JWT_SECRET is not set; set it' }]
      : [],
  );
  const warnings = retiredApiKey
    ? [
        'WEB_API_KEY is no longer used and is ignored: /api/orders passes on the caller’s own Authorization header; unset it',
      ]
    : [];
  return Object.freeze({ ...config, devTokenSecret: config.demo ? secret : undefined, warnings });
}
