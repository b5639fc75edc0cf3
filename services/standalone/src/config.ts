/**
 * Configuration of the all-in-one process, read once from the environment by main.ts. Its edge is read by
 * the standalone edge's own reader (`loadConfig(env, [], { embedded: true })`), so every `SWITCHBOARD_*`
 * edge setting means the same here; the composed services read their own variables (CHAT_*, HISTORY_*,
 * NOTIFICATIONS_*, PRESENCE_*, REDIS_URL); this file adds what only the all-in-one has, decides demo
 * mode, and throws one ConfigError listing every problem of every reader.
 */
import { type ChatConfig, readChatConfig } from '@switchboard/chat';
import { type ConfigProblem, type EdgeConfig, loadConfig } from '@switchboard/edge';
import { type HistoryConfig, readHistoryConfig } from '@switchboard/history';
import { type NotificationsConfig, readNotificationsConfig } from '@switchboard/notifications';
import { loadPresenceConfig, type PresenceConfig } from '@switchboard/presence';
import {
  boolean,
  ConfigError,
  type ConfigOf,
  type Env,
  integer,
  type LogLevel,
  list,
  logLevel,
  readServiceConfig,
  redisUrl,
  string,
} from '@switchboard/service-kit';
import { isLoopback } from './loopback.js';

export const DEFAULT_API_PORT = 8090;
export const DEFAULT_INTERNAL_PORT = 8091;

export const standaloneConfigSpec = {
  redisUrl: redisUrl(),
  /** Demo mode: `/dev/token`, `POST /api/orders`, `/app.js.map`, `/stats.json`. Default: see demoMode(). */
  demo: boolean('SWITCHBOARD_DEMO', { optional: true }),
  /** The older name of SWITCHBOARD_DEMO (it only switched `/dev/token`). */
  devTokens: boolean('SWITCHBOARD_DEV_TOKENS', { optional: true }),
  /** Acknowledges demo mode on a non-loopback address: anyone who reaches the port is anyone. */
  demoExposed: boolean('SWITCHBOARD_DEMO_EXPOSED', { default: false }),
  /**
   * The internal listener (`/metrics`, `/stats.json`, `/healthz`, `/readyz`), like Centrifugo's
   * internal_port. Started when set, and always when the public address is not loopback (then `/metrics`
   * and `/stats.json` leave the public port).
   */
  internalPort: integer('SWITCHBOARD_INTERNAL_PORT', { optional: true, min: 0, max: 65535 }),
  internalHost: string('SWITCHBOARD_INTERNAL_HOST', { default: '127.0.0.1' }),
  /** The HTTP API (publish, notify, disconnect, orders…) listens on its own port. */
  apiPort: integer('API_HTTP_PORT', { default: DEFAULT_API_PORT, min: 0, max: 65535 }),
  /** Loopback by default: without API_KEYS the API accepts requests without a key. */
  apiHost: string('API_HOST', { default: '127.0.0.1' }),
  /** Unset: no key (embedded demo, like API_ALLOW_NO_AUTH=true). Set: every API request needs one. */
  apiKeys: list('API_KEYS', { optional: true }),
  logLevel: logLevel(),
  /** Pretty logs; default: when stdout is a terminal. */
  prettyLogs: boolean('SWITCHBOARD_PRETTY_LOGS', { optional: true }),
};

type StandaloneSettings = ConfigOf<typeof standaloneConfigSpec>;

/** The all-in-one's settings, its edge's, and each composed service's, all from one environment. */
export interface AllInOneConfig extends Omit<StandaloneSettings, 'demo' | 'devTokens' | 'logLevel'> {
  readonly edge: EdgeConfig;
  /** Resolved demo mode. */
  readonly demo: boolean;
  /** Where `/metrics` and `/stats.json` are served besides (loopback bind) or instead of the public port. */
  readonly internal: { readonly host: string; readonly port: number } | undefined;
  /** SWITCHBOARD_LOG_LEVEL (the older LOG_LEVEL when it is unset). */
  readonly logLevel: LogLevel;
  readonly chat: ChatConfig;
  readonly history: HistoryConfig;
  readonly notifications: NotificationsConfig;
  readonly presence: PresenceConfig;
  /** Unknown `SWITCHBOARD_*` variables and renamed ones, one sentence each, logged at start. */
  readonly warnings: readonly string[];
}

/**
 * Runs one reader; its ConfigError becomes problems in the shared list (anything else is a bug: thrown).
 * Several readers check the same variable (SWITCHBOARD_BUS): a variable already reported by an earlier
 * reader is not reported again.
 */
function collect<T>(problems: ConfigProblem[], read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const reported = new Set(problems.map((p) => p.variable));
    problems.push(...error.problems.filter((p) => !reported.has(p.variable)));
    return undefined;
  }
}

/**
 * Demo mode: on by default only on a loopback address without a configured key (what `pnpm start` on a
 * laptop is); SWITCHBOARD_DEMO=true turns it on elsewhere, but on a non-loopback address only together with
 * SWITCHBOARD_DEMO_EXPOSED=true, because then anyone who reaches the port can sign in as anyone.
 */
function demoMode(settings: StandaloneSettings, edge: EdgeConfig, problems: ConfigProblem[]): boolean {
  if (settings.demo !== undefined && settings.devTokens !== undefined && settings.demo !== settings.devTokens)
    problems.push({
      variable: 'SWITCHBOARD_DEMO',
      problem: 'conflicts with SWITCHBOARD_DEV_TOKENS (its older name); unset SWITCHBOARD_DEV_TOKENS',
    });
  const { host, jwtSecret, jwksUrl } = edge.node;
  const asked = settings.demo ?? settings.devTokens;
  const loopback = isLoopback(host ?? '');
  const demo = asked ?? (loopback && !jwtSecret && !jwksUrl);
  if (asked && !loopback && !settings.demoExposed)
    problems.push({
      variable: 'SWITCHBOARD_DEMO',
      problem:
        `is true but SWITCHBOARD_HOST=${host} is not a loopback address: anyone who reaches the port could ` +
        'take a token for any user (/dev/token) and send anyone order notifications (/api/orders). Bind ' +
        '127.0.0.1, or set SWITCHBOARD_DEMO_EXPOSED=true as well to accept that',
    });
  if (asked && jwksUrl)
    problems.push({
      variable: 'SWITCHBOARD_DEMO',
      problem: 'demo tokens are HS256 and the edge verifies with SWITCHBOARD_JWKS_URL; unset one of them',
    });
  return demo;
}

export function readAllInOneConfig(env: Env): AllInOneConfig {
  const problems: ConfigProblem[] = [];
  const settings = collect(problems, () => readServiceConfig(env, standaloneConfigSpec));
  const alsoKnown = Object.values(standaloneConfigSpec).map((field) => field.variable);
  const edge = collect(problems, () => loadConfig(env, [], { embedded: true, alsoKnown }));
  const chat = collect(problems, () => readChatConfig(env));
  const history = collect(problems, () => readHistoryConfig(env));
  const notifications = collect(problems, () => readNotificationsConfig(env));
  const presence = collect(problems, () => loadPresenceConfig(env));
  const demo = settings && edge ? demoMode(settings, edge, problems) : false;
  if (problems.length > 0 || !settings || !edge || !chat || !history || !notifications || !presence)
    throw new ConfigError(problems);

  const { demo: _demo, devTokens, logLevel, ...own } = settings;
  const loopback = isLoopback(edge.node.host ?? '');
  const internalPort = own.internalPort ?? (loopback ? undefined : DEFAULT_INTERNAL_PORT);
  const warnings = [...edge.warnings];
  if (devTokens !== undefined)
    warnings.push('SWITCHBOARD_DEV_TOKENS is renamed SWITCHBOARD_DEMO; set that instead');
  return Object.freeze({
    ...own,
    edge,
    demo,
    internal:
      internalPort === undefined ? undefined : Object.freeze({ host: own.internalHost, port: internalPort }),
    logLevel,
    chat,
    history,
    notifications,
    presence,
    warnings: Object.freeze(warnings),
  });
}
