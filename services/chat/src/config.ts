/** Chat service configuration from the environment (read once, by main.ts). */
import {
  boolean,
  busUrl,
  type ConfigOf,
  type ConfigProblem,
  type Env,
  integer,
  LOG_LEVELS,
  list,
  oneOf,
  readServiceConfig,
  redisUrl,
} from '@switchboard/service-kit';
import { ROOM_PATTERN } from './payloads.js';

export const chatConfigSpec = {
  httpPort: integer('CHAT_HTTP_PORT', { default: 9101, min: 0, max: 65535 }),
  maxMessageLength: integer('CHAT_MAX_MESSAGE_LENGTH', { default: 2000, min: 1, max: 100_000 }),
  ratePerUserPerSecond: integer('CHAT_RATE_PER_USER_PER_SECOND', { default: 5, min: 1 }),
  /** Default: twice CHAT_RATE_PER_USER_PER_SECOND. */
  rateBurst: integer('CHAT_RATE_BURST', { min: 1, optional: true }),
  autoCreateRooms: boolean('CHAT_AUTO_CREATE_ROOMS', { default: true }),
  /** Rooms created at start (the only ones usable when auto-create is off, besides those in Redis). */
  rooms: list('CHAT_ROOMS', { default: [] as readonly string[] }),
  redisUrl: redisUrl(),
  bus: busUrl(),
  logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
};

export type ChatConfig = ConfigOf<typeof chatConfigSpec>;

function check(config: ChatConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const bad = config.rooms.filter((room) => !ROOM_PATTERN.test(room));
  if (bad.length > 0)
    problems.push({
      variable: 'CHAT_ROOMS',
      problem: `room names ${bad.map((r) => `"${r}"`).join(', ')} do not match ${ROOM_PATTERN}`,
    });
  if (config.rateBurst !== undefined && config.rateBurst < config.ratePerUserPerSecond)
    problems.push({
      variable: 'CHAT_RATE_BURST',
      problem: `${config.rateBurst} is below CHAT_RATE_PER_USER_PER_SECOND (${config.ratePerUserPerSecond}); raise it or unset it`,
    });
  return problems;
}

export function readChatConfig(env: Env): ChatConfig {
  return readServiceConfig(env, chatConfigSpec, check);
}
