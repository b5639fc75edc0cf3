/**
 * Presence and history queries over the bus. The API opens its own node inbox and asks services exactly as
 * an edge does: an Inbound on the service's work topic from a connection `<apiNode>.<random>` with the frame
 * id as `request_id` and the API request's traceparent as `trace_id`; the service answers with a Delivery to
 * that connection carrying the frame id, which the bus routes to the API's node. No answer within the
 * timeout: 504.
 */
import { randomBytes } from 'node:crypto';
import type { NodeSubscription, Transport } from '@switchboard/bus';
import { type Delivery, decodeDelivery, ErrorCodes, encodeInbound } from '@switchboard/protocol';
import { HttpError } from './errors.js';

interface Pending {
  readonly resolve: (delivery: Delivery) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface QueryRequest {
  readonly service: string;
  readonly type: string;
  /** Work key (ordering/sharding), e.g. the channel. */
  readonly key: string;
  readonly payload: Uint8Array;
  /** The W3C traceparent of the API request (request-trace.ts), for the Inbound's trace_id. */
  readonly traceparent: string;
}

const MAX_FRAME_ID = 0xffffffff;

export class BusQuerier {
  readonly nodeId: string;
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  #subscription: NodeSubscription | undefined;
  #nextFrame = 0;
  #closed = false;

  private constructor(transport: Transport, nodeId: string, timeoutMs: number) {
    this.#transport = transport;
    this.nodeId = nodeId;
    this.#timeoutMs = timeoutMs;
  }

  static async open(transport: Transport, nodeId: string, timeoutMs: number): Promise<BusQuerier> {
    const querier = new BusQuerier(transport, nodeId, timeoutMs);
    querier.#subscription = await transport.openNode(nodeId, (bytes) => querier.#onDelivery(bytes));
    return querier;
  }

  get open(): boolean {
    return !this.#closed && this.#subscription !== undefined;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Publishes the query and resolves with the service's answer; rejects with BusError or a 504 HttpError. */
  async query(request: QueryRequest): Promise<Delivery> {
    if (this.#closed) throw new HttpError(ErrorCodes.Unavailable, 'the API is shutting down');
    this.#nextFrame = this.#nextFrame >= MAX_FRAME_ID ? 1 : this.#nextFrame + 1;
    const frameId = this.#nextFrame;
    const connectionId = `${this.nodeId}.${randomBytes(9).toString('base64url')}`;
    const key = pendingKey(connectionId, frameId);
    const answer = new Promise<Delivery>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(
          new HttpError(
            ErrorCodes.Timeout,
            `the ${request.service} service did not answer within ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
      this.#pending.set(key, { resolve, reject, timer });
    });
    const bytes = encodeInbound({
      connectionId,
      nodeId: this.nodeId,
      timeMs: Date.now(),
      traceId: request.traceparent,
      service: request.service,
      type: request.type,
      payload: request.payload,
      requestId: String(frameId),
      key: request.key,
    });
    try {
      await this.#transport.publishWork(request.service, request.key, bytes);
    } catch (error) {
      this.#settle(key)?.reject(error as Error);
    }
    return answer;
  }

  #onDelivery(bytes: Uint8Array): void {
    let delivery: Delivery;
    try {
      delivery = decodeDelivery(bytes);
    } catch {
      return; // not ours to judge: malformed deliveries are dropped like an edge drops them
    }
    if (delivery.target !== 'connection' || !delivery.frameId) return;
    this.#settle(pendingKey(delivery.connection ?? '', delivery.frameId))?.resolve(delivery);
  }

  #settle(key: string): Pending | undefined {
    const pending = this.#pending.get(key);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(key);
    return pending;
  }

  /** Stops listening; pending queries fail with 503. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const key of [...this.#pending.keys()])
      this.#settle(key)?.reject(new HttpError(ErrorCodes.Unavailable, 'the API is shutting down'));
    await this.#subscription?.close();
  }
}

const pendingKey = (connectionId: string, frameId: number) => `${connectionId}\u0000${frameId}`;
