/**
 * A tiny in-test edge: a ws server on port 0 that speaks the real protocol through
 * @switchboard/protocol's codec, binary Protobuf or JSON text frames as the subprotocol says. Tests
 * script the answers with `onFrame`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  type ClientFrame,
  clientFrameFromJson,
  decodeClientFrame,
  encodeServerFrame,
  type IServerFrame,
  Subprotocol,
  serverFrameToJson,
} from '@switchboard/protocol';
import { WebSocket, WebSocketServer } from 'ws';

type Waiter = { kind: ClientFrame['kind'] | undefined; resolve(frame: ClientFrame): void };

export class EdgeConnection {
  readonly frames: ClientFrame[] = [];
  /** How each frame came: 'binary' or 'text'. */
  readonly frameTypes: ('binary' | 'text')[] = [];
  readonly #unread: ClientFrame[] = [];
  readonly #waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(
    readonly ws: WebSocket,
    /** From the negotiated subprotocol. */
    readonly format: 'protobuf' | 'json',
  ) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** @internal */
  push(frame: ClientFrame, isBinary: boolean): void {
    this.frames.push(frame);
    this.frameTypes.push(isBinary ? 'binary' : 'text');
    const index = this.#waiters.findIndex((w) => w.kind === undefined || w.kind === frame.kind);
    if (index >= 0) this.#waiters.splice(index, 1)[0]!.resolve(frame);
    else this.#unread.push(frame);
  }

  /** The next frame of `kind` not yet returned by next(). */
  next(kind?: ClientFrame['kind']): Promise<ClientFrame> {
    const index = this.#unread.findIndex((f) => kind === undefined || f.kind === kind);
    if (index >= 0) return Promise.resolve(this.#unread.splice(index, 1)[0]!);
    return new Promise((resolve) => this.#waiters.push({ kind, resolve }));
  }

  send(frame: IServerFrame): void {
    if (this.format === 'json') this.ws.send(serverFrameToJson(frame));
    else this.ws.send(encodeServerFrame(frame));
  }

  close(code: number, reason = ''): void {
    this.ws.close(code, reason);
  }
}

export type FrameHandler = (conn: EdgeConnection, frame: ClientFrame) => void;

/** Answers Connect with Connected (user from the token) and Ping with Pong. */
export const defaultHandler: FrameHandler = (conn, frame) => {
  if (frame.connect) {
    conn.send({
      id: frame.id,
      connected: {
        connectionId: `c${conn.frames.length}`,
        nodeId: 'n1',
        userId: `user-${frame.connect.token}`,
      },
    });
  } else if (frame.ping) {
    conn.send({ id: frame.id, pong: { timeMs: frame.ping.timeMs } });
  }
};

export class FakeEdge {
  readonly connections: EdgeConnection[] = [];
  readonly protocols: string[] = [];
  onFrame: FrameHandler = defaultHandler;
  readonly #waiters: (() => void)[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {
    server.on('connection', (ws) => {
      const conn = new EdgeConnection(ws, ws.protocol === Subprotocol.Json ? 'json' : 'protobuf');
      this.protocols.push(ws.protocol);
      this.connections.push(conn);
      ws.on('message', (data, isBinary) => {
        const frame = isBinary
          ? decodeClientFrame(new Uint8Array(data as Buffer))
          : clientFrameFromJson((data as Buffer).toString('utf8'));
        conn.push(frame, isBinary);
        this.onFrame(conn, frame);
      });
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  }

  static async start(): Promise<FakeEdge> {
    const server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      // The first offered subprotocol that the edge speaks, like the real edge.
      handleProtocols: (protocols) =>
        [...protocols].find((p) => p === Subprotocol.Protobuf || p === Subprotocol.Json) ?? false,
    });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return new FakeEdge(server, `ws://127.0.0.1:${port}/ws`);
  }

  /** The connection with index `n` (0-based), waiting for it if needed. */
  connection(n: number): Promise<EdgeConnection> {
    const existing = this.connections[n];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const check = () => {
        if (this.connections[n]) resolve(this.connections[n]!);
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}

export { WebSocket };
