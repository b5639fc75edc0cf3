/**
 * A broker that holds a publish's confirm back (a quorum queue between leaders during a rolling restart of
 * a RabbitMQ cluster: issue 16, drill 4) must not stall the client's connection. Commands of one connection
 * run one after another and each waits for its publish — but only up to the request timeout: the request
 * itself is answered SB_ERR_TIMEOUT then, and the connection's next frames (a ping, the next request) are
 * read and answered although that confirm still has not come. Before, they waited for it: a later request
 * got no answer at all before the client gave up.
 *
 * The hold is real: the edge's AMQP connection to the test's RabbitMQ goes through a TCP relay that stops
 * passing the broker's bytes on (heartbeats off, so the connection stays up meanwhile).
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { AmqpTransport } from '@switchboard/bus/amqp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../test/support/brokers.js';
import { EdgeNode } from './edge-node.js';
import { connect, SECRET, type TestClient } from './testing/harness.js';

const REQUEST_TIMEOUT_MS = 300;

/** A TCP relay to `target` whose broker -> client direction can be held back and released. */
class HoldingRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #held: { to: Socket; data: Buffer }[] = [];
  #holding = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: URL): Promise<HoldingRelay> {
    const server = createServer();
    const relay = new HoldingRelay(server);
    server.on('connection', (client) => relay.#pipe(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The broker URL with the relay's port. */
  url(broker: URL): string {
    const url = new URL(broker);
    url.port = String((this.#server.address() as { port: number }).port);
    return url.toString();
  }

  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const { to, data } of this.#held.splice(0)) to.write(data);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(client: Socket, target: URL): void {
    const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data) => upstream.write(data));
    upstream.on('data', (data) => {
      if (this.#holding) this.#held.push({ to: client, data });
      else client.write(data);
    });
  }
}

describe('edge: a broker confirm held back', () => {
  let rabbit: RabbitHandle;
  let relay: HoldingRelay;
  let transport: AmqpTransport;
  let node: EdgeNode;
  let client: TestClient | undefined;

  beforeAll(async () => {
    rabbit = await startRabbit();
    const broker = new URL(rabbit.url);
    relay = await HoldingRelay.start(broker);
    transport = await AmqpTransport.connect({ url: relay.url(broker), heartbeatSeconds: 0 });
    node = new EdgeNode(
      {
        nodeId: `held-${process.pid}`,
        host: '127.0.0.1',
        port: 0,
        jwtSecret: SECRET,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        clientCallable: ['held/*'],
      },
      { transport },
    );
    await node.start();
  }, 180_000);

  afterAll(async () => {
    relay?.release();
    await client?.close();
    await node?.close();
    await transport?.close();
    await relay?.close();
    await rabbit?.stop();
  }, 60_000);

  it("answers the connection's next ping and request while an earlier publish still awaits its confirm", async () => {
    client = (await connect(node.url, 'alice')).client;
    relay.hold(); // from here on the broker's confirms do not reach the edge
    const send = (id: number, requestId: string) =>
      client!.send({
        id,
        send: { service: 'held', type: 'held.x', payload: new Uint8Array([id]), requestId },
      });

    send(1, 'r1');
    const first = await client.next((f) => f.reply?.requestId === 'r1');
    expect(first.reply?.error?.code).toBe(140); // the edge's request timeout answered for the service

    client.send({ id: 2, ping: { timeMs: Date.now() } });
    // Generous: on the code before the fix the pong never comes while the confirm is held.
    expect((await client.next((f) => f.id === 2, 10_000)).kind).toBe('pong');

    send(3, 'r2');
    const second = await client.next((f) => f.reply?.requestId === 'r2', 10_000);
    expect(second.reply?.error?.code).toBe(140);
  });
});
