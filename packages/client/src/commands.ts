/**
 * Commands and their answers: a command id per ClientFrame, answers correlated by ServerFrame.id (or
 * by Reply.request_id for requests), each with a timeout. Pending commands fail when the socket goes.
 */
import type { IClientFrame, ServerFrame, switchboard } from '@switchboard/protocol/client';
import { fullJitterDelay } from './backoff.js';
import { ClientError, ClientErrorCodes, ServerError, TimeoutError } from './errors.js';
import type { HistoryOptions, RequestOptions, SendOptions } from './options.js';
import { PendingCommands } from './pending.js';
import {
  type HistoryResult,
  type PresenceResult,
  type ReplyResult,
  toClientInfo,
  toPosition,
  toPublication,
} from './types.js';

/** The part of the connection that commands use. */
export interface CommandLink {
  readonly connected: boolean;
  write(frame: IClientFrame): boolean;
}

/** Frame kinds that answer a command by its id. */
const ANSWERS = new Set<ServerFrame['kind']>([
  'connected', // to RefreshToken
  'subscribed',
  'unsubscribed',
  'pong',
  'history',
  'presence',
]);

/** RequestOptions.retries at most, and the pause before each retry (full jitter, 100 ms doubling up to 2 s). */
const MAX_REQUEST_RETRIES = 10;
const RETRY_BACKOFF = { minDelayMs: 100, maxDelayMs: 2_000 };

/** A failure worth sending the request again for: the server said temporary, or no answer came in time. */
const retriable = (error: unknown) =>
  (error instanceof ServerError && error.temporary) || error instanceof TimeoutError;

export class Commands {
  readonly #pending = new PendingCommands();

  constructor(
    private readonly link: CommandLink,
    private readonly timeoutMs: number,
  ) {}

  nextId(): number {
    return this.#pending.nextId();
  }

  /**
   * Writes the frame built for a fresh id and waits for its answer; undefined when it could not be
   * written (not connected). For commands whose caller handles "not sent" itself.
   */
  issue(
    build: (id: number) => IClientFrame,
    what: string,
    timeoutMs = this.timeoutMs,
  ): Promise<ServerFrame> | undefined {
    const id = this.#pending.nextId();
    if (!this.link.write(build(id))) return undefined;
    return this.#pending.wait(id, timeoutMs, what);
  }

  /** Like `issue`, but rejects with ClientError NotConnected when the frame cannot be sent. */
  command(build: (id: number) => IClientFrame, what: string, timeoutMs?: number): Promise<ServerFrame> {
    const answer = this.link.connected ? this.issue(build, what, timeoutMs) : undefined;
    return answer ?? Promise.reject(new ClientError(ClientErrorCodes.NotConnected, what));
  }

  send(service: string, type: string, payload: Uint8Array, options: SendOptions = {}): void {
    const frame: IClientFrame = {
      send: { service, type, payload, ...(options.key ? { key: options.key } : {}) },
    };
    if (!this.link.write(frame))
      throw new ClientError(ClientErrorCodes.NotConnected, `send ${service}/${type}`);
  }

  async request(
    service: string,
    type: string,
    payload: Uint8Array,
    options: RequestOptions = {},
  ): Promise<ReplyResult> {
    const retries = Math.min(MAX_REQUEST_RETRIES, Math.max(0, Math.floor(options.retries ?? 0) || 0));
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#requestOnce(service, type, payload, options);
      } catch (error) {
        if (attempt >= retries || !retriable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, fullJitterDelay(attempt, RETRY_BACKOFF)));
      }
    }
  }

  async #requestOnce(
    service: string,
    type: string,
    payload: Uint8Array,
    options: RequestOptions,
  ): Promise<ReplyResult> {
    const answer = await this.command(
      (id) => ({
        id,
        send: { service, type, payload, requestId: String(id), ...(options.key ? { key: options.key } : {}) },
      }),
      `request ${service}/${type}`,
      options.timeoutMs,
    );
    const reply = expect(answer, answer.reply);
    if (reply.error?.code) throw new ServerError(reply.error);
    return { type: reply.type ?? '', payload: reply.payload ?? new Uint8Array(0) };
  }

  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    const answer = await this.command(
      (id) => ({
        id,
        history: { channel, limit: options.limit ?? 0, beforeOffset: options.beforeOffset ?? 0 },
      }),
      `history ${channel}`,
    );
    const h = expect(answer, answer.history);
    const position = toPosition(h.position);
    return {
      channel: h.channel || channel,
      ...(position ? { position } : {}),
      publications: (h.publications ?? []).map(toPublication),
    };
  }

  async presence(channel: string): Promise<PresenceResult> {
    const answer = await this.command((id) => ({ id, presence: { channel } }), `presence ${channel}`);
    const p = expect(answer, answer.presence);
    return {
      channel: p.channel || channel,
      clients: (p.clients ?? []).map(toClientInfo).filter((c) => c !== undefined),
    };
  }

  async ping(timeoutMs?: number): Promise<number> {
    const started = Date.now();
    await this.command((id) => ({ id, ping: { timeMs: started } }), 'ping', timeoutMs);
    return Date.now() - started;
  }

  /** Sends a fresh token on the live connection; resolves with the server's new Connected. */
  async refresh(token: string): Promise<switchboard.v1.IConnected> {
    const answer = await this.command((id) => ({ id, refresh: { token } }), 'refresh token');
    return expect(answer, answer.connected);
  }

  /** Hands an answer to the command waiting for it; false when none waits. */
  resolve(frame: ServerFrame): boolean {
    if (frame.kind === 'reply') {
      const requestId = Number(frame.reply?.requestId);
      return Number.isInteger(requestId) && requestId > 0 && this.#pending.resolve(requestId, frame);
    }
    return (
      frame.id !== 0 &&
      frame.kind !== undefined &&
      ANSWERS.has(frame.kind) &&
      this.#pending.resolve(frame.id, frame)
    );
  }

  /** Fails the command `id` with a server error; false when none waits. */
  reject(id: number, error: unknown): boolean {
    return id !== 0 && this.#pending.reject(id, error);
  }

  /** The socket went away: every pending command fails with Disconnected. */
  rejectAll(code: number, reason: string): void {
    this.#pending.rejectAll(() => new ClientError(ClientErrorCodes.Disconnected, `${code} ${reason}`));
  }
}

function expect<T>(answer: ServerFrame, part: T | null | undefined): T {
  if (!part) throw new ClientError(ClientErrorCodes.Transport, `unexpected answer ${answer.kind}`);
  return part;
}
