/**
 * Who may bring a room into existence (issue 13, defect 8: 15,420 rooms in 20 s from 20 connections).
 * A join or send to an unknown room creates it only when auto-creation is on, the user still has a token
 * in their room-creation bucket (`creationsPerUserPerHour`, refilled evenly over the hour; per chat
 * instance) and fewer than `maxRooms` rooms exist (checked atomically by the store, so every instance
 * shares the bound). A join or send to an existing room costs nothing here.
 */
import type { ErrorName } from '@switchboard/protocol';
import type { ChatStore } from './chat-store.js';
import { RateLimiter } from './rate-limiter.js';

export interface RoomGateOptions {
  readonly store: ChatStore;
  /** Create unknown rooms on join/send. */
  readonly autoCreate: boolean;
  /** New rooms a user may create per hour (and at once). */
  readonly creationsPerUserPerHour: number;
  /** Rooms that may exist in all. */
  readonly maxRooms: number;
  readonly now: () => number;
}

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: ErrorName; readonly problem: string };

/** Safe defaults (what CHAT_ROOM_CREATIONS_PER_USER_PER_HOUR and CHAT_MAX_ROOMS default to). */
export const DEFAULT_ROOM_LIMITS = {
  creationsPerUserPerHour: 10,
  maxRooms: 1000,
  roomsListLimit: 100,
} as const;

const ADMITTED: Admission = { ok: true };

export class RoomGate {
  readonly #options: RoomGateOptions;
  readonly #creations: RateLimiter;

  constructor(options: RoomGateOptions) {
    for (const name of ['creationsPerUserPerHour', 'maxRooms'] as const)
      if (!Number.isSafeInteger(options[name]) || options[name] < 1)
        throw new RangeError(`${name} ${options[name]} must be an integer >= 1`);
    this.#options = options;
    this.#creations = new RateLimiter({
      perSecond: options.creationsPerUserPerHour / 3600,
      burst: options.creationsPerUserPerHour,
      now: options.now,
    });
  }

  /** Whether `user` may use `room` now, creating it if it is new and allowed. */
  async admit(room: string, user: string): Promise<Admission> {
    const { store, autoCreate, creationsPerUserPerHour, maxRooms, now } = this.#options;
    if (await store.hasRoom(room)) return ADMITTED;
    if (!autoCreate) return { ok: false, code: 'BadRequest', problem: `unknown room "${room}"` };
    if (!this.#creations.take(user))
      return {
        ok: false,
        code: 'RateLimited',
        problem: `more than ${creationsPerUserPerHour} new rooms per hour; use an existing room or wait`,
      };
    const result = await store.createRoom(room, { maxRooms, atMs: now() });
    if (result === 'full')
      return {
        ok: false,
        code: 'ServiceError',
        problem: `unknown room "${room}" and the room limit (${maxRooms}) is reached; use an existing room`,
      };
    return ADMITTED;
  }
}
