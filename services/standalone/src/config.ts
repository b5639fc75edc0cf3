/**
 * Configuration of the all-in-one process, read once from the environment by main.ts. The composed
 * services read their own variables (CHAT_*, HISTORY_*, NOTIFICATIONS_*, PRESENCE_*, REDIS_URL) through
 * their own config readers; this file covers what only the all-in-one has.
 */
import { type ChatConfig, readChatConfig } from '@switchboard/chat';
import { type HistoryConfig, readHistoryConfig } from '@switchboard/history';
import { type NotificationsConfig, readNotificationsConfig } from '@switchboard/notifications';
import { loadPresenceConfig, type PresenceConfig } from '@switchboard/presence';
import {
  boolean,
  busUrl,
  type ConfigOf,
  type Env,
  integer,
  LOG_LEVELS,
  list,
  oneOf,
  readServiceConfig,
  redisUrl,
  string,
} from '@switchboard/service-kit';

export const DEFAULT_PORT = 8080;
export const DEFAULT_API_PORT = 8090;

export const standaloneConfigSpec = {
  /** The one public port: demo page, `/ws`, `/healthz`, `/readyz`, `/metrics`. */
  port: integer('SWITCHBOARD_PORT', { default: DEFAULT_PORT, min: 0, max: 65535 }),
  host: string('SWITCHBOARD_HOST', { default: '0.0.0.0' }),
  bus: busUrl(),
  redisUrl: redisUrl(),
  /** HS256 secret of the connection tokens; unset: a random one per start (only dev tokens can connect). */
  jwtSecret: string('SWITCHBOARD_JWT_SECRET', { optional: true }),
  /** `/dev/token?user=` issuing demo tokens. Default: on unless SWITCHBOARD_JWT_SECRET is set. */
  devTokens: boolean('SWITCHBOARD_DEV_TOKENS', { optional: true }),
  nodeId: string('SWITCHBOARD_NODE_ID', { pattern: /^[A-Za-z0-9_-]{1,80}$/, optional: true }),
  drainTimeoutMs: integer('SWITCHBOARD_DRAIN_TIMEOUT_MS', { default: 10_000, min: 1 }),
  /** The HTTP API (publish, notify, disconnect, orders…) listens on its own port. */
  apiPort: integer('API_HTTP_PORT', { default: DEFAULT_API_PORT, min: 0, max: 65535 }),
  /** Loopback by default: without API_KEYS the API accepts requests without a key. */
  apiHost: string('API_HOST', { default: '127.0.0.1' }),
  /** Unset: no key (embedded demo, like API_ALLOW_NO_AUTH=true). Set: every API request needs one. */
  apiKeys: list('API_KEYS', { optional: true }),
  logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
  /** Pretty logs; default: when stdout is a terminal. */
  prettyLogs: boolean('SWITCHBOARD_PRETTY_LOGS', { optional: true }),
};

export type StandaloneConfig = ConfigOf<typeof standaloneConfigSpec>;

export function readStandaloneConfig(env: Env): StandaloneConfig {
  return readServiceConfig(env, standaloneConfigSpec, (config) =>
    config.jwtSecret !== undefined && config.jwtSecret.length < 32
      ? [
          {
            variable: 'SWITCHBOARD_JWT_SECRET',
            problem: `is ${config.jwtSecret.length} characters; use at least 32 (or unset it for a random one)`,
          },
        ]
      : [],
  );
}

/** Dev tokens are on in the embedded default (no shared secret configured) unless turned off explicitly. */
export function devTokensEnabled(config: Pick<StandaloneConfig, 'devTokens' | 'jwtSecret'>): boolean {
  return config.devTokens ?? config.jwtSecret === undefined;
}

/** The all-in-one's own settings plus each composed service's, all from one environment. */
export interface AllInOneConfig extends StandaloneConfig {
  readonly chat: ChatConfig;
  readonly history: HistoryConfig;
  readonly notifications: NotificationsConfig;
  readonly presence: PresenceConfig;
}

export function readAllInOneConfig(env: Env): AllInOneConfig {
  return Object.freeze({
    ...readStandaloneConfig(env),
    chat: readChatConfig(env),
    history: readHistoryConfig(env),
    notifications: readNotificationsConfig(env),
    presence: loadPresenceConfig(env),
  });
}
