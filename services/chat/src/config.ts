/** Chat service configuration from the environment (read once, by main.ts). */
import {
  boolean,
  busUrl,
  type ConfigOf,
  type ConfigProblem,
  type Env,
  integer,
  list,
  logLevel,
  readServiceConfig,
  redisUrl,
} from '@switchboard/service-kit';
import type { ChatServiceOptions } from './chat-service.js';
import { ROOM_PATTERN } from './payloads.js';
import { DEFAULT_ROOM_LIMITS } from './room-gate.js';

export const chatConfigSpec = {
  httpPort: integer('CHAT_HTTP_PORT', { default: 9101, min: 0, max: 65535 }),
  maxMessageLength: integer('CHAT_MAX_MESSAGE_LENGTH', { default: 2000, min: 1, max: 100_000 }),
  ratePerUserPerSecond: integer('CHAT_RATE_PER_USER_PER_SECOND', { default: 5, min: 1 }),
  /** Default: twice CHAT_RATE_PER_USER_PER_SECOND. */
  rateBurst: integer('CHAT_RATE_BURST', { min: 1, optional: true }),
  autoCreateRooms: boolean('CHAT_AUTO_CREATE_ROOMS', { default: true }),
  /** Rooms created at start (the only ones usable when auto-create is off, besides those in Redis). */
  rooms: list('CHAT_ROOMS', { default: [] as readonly string[] }),
  /** New rooms one user may create per hour (per chat instance). */
  roomCreationsPerUserPerHour: integer('CHAT_ROOM_CREATIONS_PER_USER_PER_HOUR', {
    default: DEFAULT_ROOM_LIMITS.creationsPerUserPerHour,
    min: 1,
  }),
  /** Rooms that may exist in all (CHAT_ROOMS count too); auto-creating one more is refused. */
  maxRooms: integer('CHAT_MAX_ROOMS', { default: DEFAULT_ROOM_LIMITS.maxRooms, min: 1 }),
  /** Most rooms in one `chat.rooms` answer (most recently active first; the answer carries the total). */
  roomsListLimit: integer('CHAT_ROOMS_LIST_LIMIT', {
    default: DEFAULT_ROOM_LIMITS.roomsListLimit,
    min: 1,
    max: 10_000,
  }),
  redisUrl: redisUrl(),
  bus: busUrl(),
  logLevel: logLevel(),
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
  if (config.rooms.length > config.maxRooms)
    problems.push({
      variable: 'CHAT_MAX_ROOMS',
      problem: `${config.maxRooms} is below the ${config.rooms.length} rooms of CHAT_ROOMS; raise it or list fewer rooms`,
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

/** The service options the config sets (main.ts and the all-in-one standalone pass them on). */
export function chatServiceSettings(
  config: ChatConfig,
): Pick<
  ChatServiceOptions,
  | 'maxMessageLength'
  | 'ratePerUserPerSecond'
  | 'rateBurst'
  | 'autoCreateRooms'
  | 'roomCreationsPerUserPerHour'
  | 'maxRooms'
  | 'roomsListLimit'
> {
  return {
    maxMessageLength: config.maxMessageLength,
    ratePerUserPerSecond: config.ratePerUserPerSecond,
    rateBurst: config.rateBurst,
    autoCreateRooms: config.autoCreateRooms,
    roomCreationsPerUserPerHour: config.roomCreationsPerUserPerHour,
    maxRooms: config.maxRooms,
    roomsListLimit: config.roomsListLimit,
  };
}
