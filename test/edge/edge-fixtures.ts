/**
 * Building blocks for edge tests against a real broker: edge nodes each on their own transport (= their own
 * process as far as the broker can tell), a service-side transport that publishes deliveries, a readiness-
 * aware TCP front for the SDK reconnect test, and event helpers for the client SDK.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { Transport } from '../../packages/bus/src/index.js';
import type { Emitter } from '../../packages/client/src/index.js';
import { encodeDelivery, type IDelivery } from '../../packages/protocol/src/index.js';
import { EdgeNode, type EdgeNodeOptions } from '../../services/edge/src/index.js';
import { routeOf, SECRET } from '../../services/edge/src/testing/harness.js';

export type MakeTransport = (name: string) => Promise<Transport>;

/** A short random id: node ids, channels and service topics of one run never meet another run's. */
export const runId = () => randomBytes(4).toString('hex');

export interface EdgeFleet {
  readonly nodes: EdgeNode[];
  /** The service side: publishes deliveries and consumes work on its own connection. */
  readonly service: Transport;
  deliver(delivery: IDelivery): Promise<void>;
  close(): Promise<void>;
}

/** Starts `count` edge nodes, each on a transport of its own, plus a service transport. */
export async function startFleet(
  makeTransport: MakeTransport,
  prefix: string,
  count: number,
  options: Partial<EdgeNodeOptions> = {},
): Promise<EdgeFleet> {
  const transports: Transport[] = [];
  const nodes: EdgeNode[] = [];
  const close = async () => {
    for (const node of nodes) await node.close();
    for (const transport of transports) await transport.close();
  };
  try {
    for (let i = 0; i < count; i++) {
      const transport = await makeTransport(`${prefix}-n${i}`);
      transports.push(transport);
      const node = new EdgeNode(
        { nodeId: `${prefix}-n${i}`, host: '127.0.0.1', port: 0, jwtSecret: SECRET, ...options },
        { transport },
      );
      nodes.push(node);
      await node.start();
    }
    const service = await makeTransport(`${prefix}-service`);
    transports.push(service);
    return {
      nodes,
      service,
      deliver: (delivery) => service.publishDelivery(routeOf(delivery), encodeDelivery(delivery)),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A TCP front like a load balancer with readiness checks: each new connection goes to the first node that
 * is ready (a draining node is not), so a client with one URL lands on another node after a drain.
 */
export class ReadyFront {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #nodes: readonly EdgeNode[];

  private constructor(nodes: readonly EdgeNode[]) {
    this.#nodes = nodes;
    this.#server = createServer((downstream) => this.#forward(downstream));
  }

  static async start(nodes: readonly EdgeNode[]): Promise<ReadyFront> {
    const front = new ReadyFront(nodes);
    await new Promise<void>((resolve, reject) => {
      front.#server.once('error', reject);
      front.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return front;
  }

  get url(): string {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('front is not listening');
    return `ws://127.0.0.1:${address.port}/ws`;
  }

  #forward(downstream: Socket): void {
    const target = this.#nodes.find((node) => node.ready);
    if (!target) {
      downstream.destroy();
      return;
    }
    const upstream = tcpConnect(target.port, '127.0.0.1');
    for (const socket of [downstream, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.once('close', () => {
      this.#sockets.delete(downstream);
      upstream.destroy();
    });
    upstream.once('close', () => {
      this.#sockets.delete(upstream);
      downstream.destroy();
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Records every `event` of `source`; `next(predicate)` resolves with the first match, past or future. */
export function record<Events extends object, K extends keyof Events>(
  source: Emitter<Events>,
  event: K,
): { readonly seen: Events[K][]; next(predicate?: (payload: Events[K]) => boolean): Promise<Events[K]> } {
  const seen: Events[K][] = [];
  const waiters = new Set<() => void>();
  source.on(event, (payload) => {
    seen.push(payload);
    for (const wake of [...waiters]) wake();
  });
  return {
    seen,
    next: (predicate = () => true) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = seen.find(predicate);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching "${String(event)}" event in 30 s; saw ${seen.length}`));
        }, 30_000);
        if (!check()) waiters.add(check);
      }),
  };
}
