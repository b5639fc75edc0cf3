/** Test kit for the edge: nodes on a shared memory bus, signed tokens, and a raw ws client with the codec. */

import { allRoute, channelRoute, nodeRoute, type Route, userRoute } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  clientFrameToJson,
  decodeInbound,
  decodeServerFrame,
  encodeClientFrame,
  encodeDelivery,
  HistoryTypes,
  type IClientFrame,
  type IDelivery,
  type ServerFrame,
  ServiceNames,
  Subprotocol,
  serverFrameFromJson,
  switchboard,
} from '@switchboard/protocol';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { EdgeNode } from '../edge-node.js';
import type { EdgeNodeOptions } from '../options.js';

export const SECRET = 'test-secret-that-is-long-enough-for-hs256';

/** An HS256 token; `exp` in an hour unless `expiresIn` says otherwise (`null`: no `exp` at all). */
export async function sign(
  claims: Record<string, unknown>,
  options: { expiresIn?: string | number | null; secret?: string } = {},
) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  const expiresIn = options.expiresIn === undefined ? '1h' : options.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

export interface Bus {
  readonly broker: MemoryBroker;
  readonly nodes: EdgeNode[];
  /** The transport of each node (same index as `nodes`). */
  readonly transports: MemoryTransport[];
  readonly publisher: MemoryTransport;
  deliver(delivery: IDelivery): Promise<void>;
  close(): Promise<void>;
}

export async function startBus(count: number, options: Partial<EdgeNodeOptions> = {}): Promise<Bus> {
  const broker = new MemoryBroker();
  const transports: MemoryTransport[] = [];
  const nodes: EdgeNode[] = [];
  for (let i = 0; i < count; i++) {
    const transport = new MemoryTransport({ broker });
    transports.push(transport);
    const node = new EdgeNode(
      { nodeId: `n${i}`, host: '127.0.0.1', port: 0, jwtSecret: SECRET, ...options },
      { transport },
    );
    await node.start();
    nodes.push(node);
  }
  const publisher = new MemoryTransport({ broker });
  return {
    broker,
    nodes,
    transports,
    publisher,
    deliver: (delivery) => publisher.publishDelivery(routeOf(delivery), encodeDelivery(delivery)),
    close: async () => {
      for (const node of nodes) await node.close();
      for (const transport of [...transports, publisher]) await transport.close();
    },
  };
}

/**
 * A stand-in history service: answers every `history.recover` with the stream top — `offset` in epoch e1,
 * or whatever `top()` says at that moment — `recovered` when the Subscribe carried `since`; `seen` gets
 * each Subscribe first.
 */
export async function standInHistory(
  bus: Bus,
  offset: number | (() => { offset: number; epoch: string }),
  seen: (sub: switchboard.v1.Subscribe) => void = () => undefined,
): Promise<void> {
  await bus.publisher.consumeWork(ServiceNames.history, { group: ServiceNames.history }, async (message) => {
    const inbound = decodeInbound(message.bytes);
    if (inbound.type !== HistoryTypes.recover) return;
    const sub = switchboard.v1.Subscribe.decode(inbound.payload);
    seen(sub);
    const connection = inbound.connectionId;
    await bus.publisher.publishDelivery(
      nodeRoute(connection.slice(0, connection.lastIndexOf('.'))),
      encodeDelivery({
        connection,
        frameId: Number(inbound.requestId),
        service: ServiceNames.history,
        subscribed: {
          channel: sub.channel,
          durable: true,
          position: typeof offset === 'number' ? { offset, epoch: 'e1' } : offset(),
          wasRecovering: Boolean(sub.since),
          recovered: Boolean(sub.since),
        },
      }),
    );
  });
}

export function routeOf(d: IDelivery): Route {
  if (d.channel) return channelRoute(d.channel);
  if (d.user) return userRoute(d.user);
  if (d.connection) return nodeRoute(d.connection.slice(0, d.connection.lastIndexOf('.')));
  return allRoute;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters = new Set<() => void>();
  readonly #json: boolean;

  constructor(
    url: string,
    options: { token?: string; json?: boolean; origin?: string; autoPong?: boolean } = {},
  ) {
    this.#json = options.json ?? false;
    const target = options.token ? `${url}?token=${encodeURIComponent(options.token)}` : url;
    this.ws = new WebSocket(target, options.json ? [Subprotocol.Json] : [Subprotocol.Protobuf], {
      ...(options.origin ? { origin: options.origin } : {}),
      autoPong: options.autoPong ?? true,
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data: Buffer, isBinary) => {
      this.frames.push(
        isBinary ? decodeServerFrame(new Uint8Array(data)) : serverFrameFromJson(data.toString()),
      );
      for (const wake of this.#waiters) wake();
    });
  }

  send(frame: IClientFrame): void {
    this.ws.send(this.#json ? clientFrameToJson(frame) : encodeClientFrame(frame));
  }

  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Resolves with the first received frame matching `predicate` (past or future). */
  next(predicate: (frame: ServerFrame) => boolean, timeoutMs = 5_000): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.frames.find(predicate);
        if (!found) return false;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(`no matching frame in ${timeoutMs} ms; got ${this.frames.map((f) => f.kind).join(',')}`),
        );
      }, timeoutMs);
      if (!check()) this.#waiters.add(check);
    });
  }

  count(predicate: (frame: ServerFrame) => boolean): number {
    return this.frames.filter(predicate).length;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }
}

/** Opens a client with a token for `user` and waits for Connected. */
export async function connect(url: string, user: string, options: { json?: boolean } = {}) {
  const client = new TestClient(url, { token: await sign({ sub: user }, { expiresIn: '1h' }), ...options });
  const connected = await client.next((f) => f.kind === 'connected');
  return { client, id: connected.connected!.connectionId };
}

export async function subscribe(
  client: TestClient,
  id: number,
  channel: string,
  token?: string,
): Promise<ServerFrame> {
  client.send({ id, subscribe: { channel, ...(token ? { token } : {}) } });
  return client.next((f) => f.id === id);
}
