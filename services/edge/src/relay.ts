/**
 * Client -> service relay. A client command becomes an Inbound envelope on the service's work topic,
 * published with broker confirmation. Commands that expect an answer register a pending entry with a
 * timeout: the answer (a Delivery to the connection) settles it, the timeout answers for the service —
 * the client never waits in silence. Late answers are dropped.
 */
import { randomBytes } from 'node:crypto';
import type { Transport } from '@switchboard/bus';
import { encodeInbound, type IServerFrame } from '@switchboard/protocol';
import type { Connection } from './connection.js';

export interface RelayRequest {
  readonly service: string;
  readonly type: string;
  readonly payload: Uint8Array;
  readonly key?: string;
  /** Client request id (Send) — the answer is a Reply with this id. */
  readonly requestId?: string;
  /** Client frame id (history, presence, recovery) — the answer is a frame with this id. */
  readonly frameId?: number;
  /** Frame sent to the client when nobody answers in time. */
  readonly onTimeout?: () => IServerFrame;
}

interface Pending {
  readonly timer: NodeJS.Timeout;
  readonly connection: Connection;
}

export class Relay {
  readonly #transport: Transport;
  readonly #nodeId: string;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();

  constructor(transport: Transport, nodeId: string, timeoutMs: number) {
    this.#transport = transport;
    this.#nodeId = nodeId;
    this.#timeoutMs = timeoutMs;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Publishes the envelope; resolves once the broker accepted it, rejects with the bus error. */
  async publish(connection: Connection, request: RelayRequest): Promise<void> {
    const requestId = request.requestId || (request.frameId ? String(request.frameId) : '');
    const bytes = encodeInbound({
      connectionId: connection.id,
      userId: connection.userId,
      nodeId: this.#nodeId,
      timeMs: Date.now(),
      traceId: randomBytes(8).toString('hex'),
      service: request.service,
      type: request.type,
      payload: request.payload,
      requestId,
      key: request.key ?? '',
    });
    const pendingKey = request.requestId
      ? replyKey(connection.id, request.requestId)
      : request.frameId && request.onTimeout
        ? frameKey(connection.id, request.frameId)
        : undefined;
    if (pendingKey && request.onTimeout) this.#register(pendingKey, connection, request.onTimeout);
    try {
      await this.#transport.publishWork(request.service, request.key || connection.id, bytes);
    } catch (error) {
      if (pendingKey) this.#clear(pendingKey);
      throw error;
    }
  }

  #register(key: string, connection: Connection, onTimeout: () => IServerFrame): void {
    this.#clear(key);
    const timer = setTimeout(() => {
      this.#pending.delete(key);
      connection.send(onTimeout());
    }, this.#timeoutMs);
    this.#pending.set(key, { timer, connection });
  }

  #clear(key: string): boolean {
    const pending = this.#pending.get(key);
    if (!pending) return false;
    clearTimeout(pending.timer);
    this.#pending.delete(key);
    return true;
  }

  /** An answer arrived for a connection: true when it was awaited (deliver it), false when late. */
  settle(connectionId: string, requestId: string | undefined, frameId: number): boolean {
    if (requestId) return this.#clear(replyKey(connectionId, requestId));
    if (frameId) return this.#clear(frameKey(connectionId, frameId));
    return true;
  }

  /** Forgets a closed connection's pending answers. */
  cancel(connection: Connection): void {
    for (const [key, pending] of this.#pending) if (pending.connection === connection) this.#clear(key);
  }

  close(): void {
    for (const key of [...this.#pending.keys()]) this.#clear(key);
  }
}

const replyKey = (connectionId: string, requestId: string) => `${connectionId}\u0000r\u0000${requestId}`;
const frameKey = (connectionId: string, frameId: number) => `${connectionId}\u0000f\u0000${frameId}`;
