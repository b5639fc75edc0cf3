/**
 * Test harness: an API on a memory broker, an "edge" node on the same broker that records deliveries as
 * an edge would receive them, and tiny bus services that answer queries with a real consumer.
 */
import type { Closable, NodeSubscription, Route } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  decodeDelivery,
  decodeInbound,
  type IDelivery,
  type Inbound,
} from '@switchboard/protocol';
import { Publisher } from '@switchboard/publisher';
import { type ApiOptions, type RunningApi, startApi } from '../server.js';

export const KEY = 'test-key-1';
export const OTHER_KEY = 'another-key-2';

export interface Harness {
  readonly broker: MemoryBroker;
  readonly api: RunningApi;
  readonly edge: EdgeObserver;
  /** A transport for test-side services, on the same broker. */
  readonly services: MemoryTransport;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect JSON answers freely
  readonly body: any;
  readonly headers: Headers;
}

export async function startHarness(options: Partial<ApiOptions> = {}): Promise<Harness> {
  const broker = new MemoryBroker();
  const apiTransport = new MemoryTransport({ broker });
  const services = new MemoryTransport({ broker });
  const edgeTransport = new MemoryTransport({ broker });
  const api = await startApi({ transport: apiTransport, keys: [KEY, OTHER_KEY], ...options });
  const edge = await EdgeObserver.open(edgeTransport, 'edge-1');
  return {
    broker,
    api,
    edge,
    services,
    async call(method, path, body, headers = { authorization: `Bearer ${KEY}` }) {
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await api.close();
      await edge.close();
      await Promise.all([apiTransport.close(), services.close(), edgeTransport.close()]);
    },
  };
}

/** A node inbox on the bus, as an edge opens it; records every Delivery it gets. */
export class EdgeObserver {
  readonly deliveries: Delivery[] = [];
  readonly #waiters = new Set<() => void>();
  #subscription: NodeSubscription | undefined;

  static async open(transport: MemoryTransport, node: string): Promise<EdgeObserver> {
    const observer = new EdgeObserver();
    observer.#subscription = await transport.openNode(node, (bytes) => {
      observer.deliveries.push(decodeDelivery(bytes));
      for (const wake of observer.#waiters) wake();
    });
    return observer;
  }

  addInterest(route: Route): Promise<void> {
    return this.#subscription!.addInterest(route);
  }

  /** The first delivery (already received or coming) that matches. */
  next(match: (delivery: Delivery) => boolean): Promise<Delivery> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.deliveries.find(match);
        if (!found) return false;
        this.#waiters.delete(wake);
        resolve(found);
        return true;
      };
      const wake = () => void check();
      if (!check()) this.#waiters.add(wake);
    });
  }

  close(): Promise<void> {
    return this.#subscription?.close() ?? Promise.resolve();
  }
}

/**
 * A tiny bus service: consumes `topic` and answers each Inbound as presence/history services answer an
 * edge (a Delivery to the asking connection with the frame id from `request_id`).
 */
export async function answeringService(
  transport: MemoryTransport,
  topic: string,
  answer: (inbound: Inbound) => Pick<IDelivery, 'presence' | 'history' | 'error' | 'reply'>,
): Promise<{ readonly received: Inbound[]; readonly consumer: Closable }> {
  const publisher = new Publisher(transport);
  const received: Inbound[] = [];
  const consumer = await transport.consumeWork(topic, { group: topic }, async (message) => {
    const inbound = decodeInbound(message.bytes);
    received.push(inbound);
    await publisher.send({
      connection: inbound.connectionId,
      frameId: Number(inbound.requestId),
      ...answer(inbound),
    });
  });
  return { received, consumer };
}

export const text = (bytes: Uint8Array | null | undefined) =>
  new TextDecoder().decode(bytes ?? new Uint8Array());
