/**
 * EdgeNode: one WebSocket gateway on the bus. It owns an HTTP server (`/ws` upgrades in ws `noServer` mode,
 * health, readiness, metrics), the node's bus inbox and local subscription index, and every connection.
 * Every close code comes from one table (disconnects.ts); the Connect step is connect.ts, the periodic
 * ping/expiry pass liveness.ts, the graceful drain drain.ts, the answer to a lifecycle consumer's
 * re-announce request reannounce.ts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { InterestIndex, type NodeSubscription, type Transport } from '@switchboard/bus';
import { type ClientFrame, CloseCode, DecodeError, ErrorCodes, parseChannel } from '@switchboard/protocol';
import { processTracing, type Tracing } from '@switchboard/runtime';
import { type Logger, pino } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { Authenticator } from './auth.js';
import { ClientCallable } from './client-callable.js';
import { type CommandContext, errorFrame, handleCommand } from './commands.js';
import { authenticate, safely } from './connect.js';
import { Connection } from './connection.js';
import { ConnectionIds } from './connection-ids.js';
import { ChannelContinuity } from './continuity.js';
import { Disconnects, disconnect, terminate } from './disconnects.js';
import { type DrainResult, drainConnections } from './drain.js';
import { createDeliveryHandler } from './fan-out.js';
import { type FrameError, onFrameError } from './frame-errors.js';
import { limitHandshakeTime } from './handshake-timeout.js';
import { createHttpHandler, type HttpFallback } from './http-routes.js';
import { HEARTBEAT_CHANNELS, Lifecycle } from './lifecycle.js';
import { checkLiveness } from './liveness.js';
import { LocalIndex } from './local-index.js';
import { EdgeMetrics } from './metrics.js';
import { type EdgeNodeOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { Reannouncer } from './reannounce.js';
import { Relay } from './relay.js';
import { BusResync, watchBus } from './resync.js';
import { chooseSubprotocol, decodeIncoming, formatOf } from './wire.js';

/**
 * A user or channel route stays bound this long after its last local connection left: clients of a
 * reconnect storm (and retries after a handshake timeout) come back within it and cost the broker no
 * unbind and re-bind. Meanwhile the route's deliveries reach this node and are dropped (nobody wants them).
 */
const ROUTE_RELEASE_DELAY_MS = 5_000;
/** Binding batches start at least this far apart (interest-index.ts): larger batches in a connect storm. */
const BIND_BATCH_INTERVAL_MS = 10;
export interface EdgeNodeDeps {
  readonly transport: Transport;
  readonly logger?: Logger;
  /**
   * Requests to paths other than `/ws`, `/healthz`, `/readyz` and `/metrics` (e.g. an embedding process's
   * pages on the same port). Without it they get 404.
   */
  readonly httpFallback?: HttpFallback;
  /** Spans of relayed requests and written deliveries. Default: the process's, from the environment. */
  readonly tracing?: Tracing;
}

export class EdgeNode {
  readonly options: ResolvedOptions;
  readonly nodeId: string;
  readonly metrics: EdgeMetrics;
  readonly #transport: Transport;
  readonly #log: Logger;
  readonly #auth: Authenticator;
  readonly #relay: Relay;
  readonly #callable: ClientCallable;
  readonly #lifecycle: Lifecycle;
  readonly #continuity: ChannelContinuity;
  readonly #busResync: BusResync;
  readonly #reannounce: Reannouncer;
  readonly #httpFallback: HttpFallback | undefined;
  readonly #live = new Set<Connection>();
  readonly #connectionIds: ConnectionIds;
  readonly #wss: WebSocketServer;
  #server: Server | undefined;
  #inbox: NodeSubscription | undefined;
  #index: LocalIndex | undefined;
  /** What every client command runs with; set once the node's index exists (start). */
  #commands: CommandContext | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #ready = false;
  #draining = false;
  #closed = false;
  #onEmpty: (() => void) | undefined;

  constructor(options: EdgeNodeOptions, deps: EdgeNodeDeps) {
    this.options = resolveOptions(options);
    this.nodeId = this.options.nodeId;
    this.#connectionIds = new ConnectionIds(this.nodeId);
    this.#transport = deps.transport;
    this.#httpFallback = deps.httpFallback;
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({ node: this.nodeId });
    this.metrics = new EdgeMetrics(this.nodeId);
    this.#auth = new Authenticator({
      ...this.options,
      maxTokenBytes: this.options.limits.maxTokenBytes,
      maxUserIdBytes: this.options.limits.maxUserIdBytes,
    });
    this.#relay = new Relay(
      this.#transport,
      this.nodeId,
      this.options.requestTimeoutMs,
      this.options.limits.maxPendingRequests,
      deps.tracing ?? processTracing('switchboard-edge'),
    );
    this.#callable = new ClientCallable(this.options.clientCallable);
    this.#lifecycle = new Lifecycle(this.#transport, this.nodeId, this.#log);
    const durable = (channel: string) =>
      this.options.durableNamespaces.includes(parseChannel(channel).namespace);
    this.#continuity = new ChannelContinuity((channel) => this.#index?.channel(channel), durable);
    this.#busResync = new BusResync({
      connections: () => this.#live,
      kinds: { durable, presence: (channel) => parseChannel(channel).kind === 'presence' },
      lifecycle: this.#lifecycle,
      continuity: this.#continuity,
      metrics: this.metrics,
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      // #live tracks connections; ws's own set (and its close listener per socket) would be a second copy.
      clientTracking: false,
      maxPayload: this.options.limits.maxPayloadBytes,
      // ws applies `threshold` only without context takeover; with it, every message would be compressed.
      perMessageDeflate: this.options.deflate
        ? { threshold: this.options.deflateThresholdBytes, serverNoContextTakeover: true }
        : false,
      handleProtocols: (offered) => chooseSubprotocol(offered),
    });
    watchBus(this.#transport, {
      resync: this.#busResync,
      metrics: this.metrics,
      log: this.#log,
      closed: () => this.#closed,
    });
    this.#reannounce = new Reannouncer({
      nodeId: this.nodeId,
      lifecycle: this.#lifecycle,
      connections: () => this.#index?.all() ?? [],
      minIntervalMs: this.options.nodeHeartbeatMs,
      metrics: this.metrics,
      log: this.#log,
    });
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get url(): string {
    const host =
      this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host;
    return `ws://${host}:${this.port}/ws`;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get connections(): number {
    return this.#live.size;
  }

  async start(): Promise<void> {
    const handler = createDeliveryHandler({
      index: () => this.#index,
      relay: this.#relay,
      metrics: this.metrics,
      log: this.#log,
      continuity: this.#continuity,
      beforeDelivery: () => this.#busResync.beforeDelivery(),
      reannounce: (request) => this.#reannounce.request(request),
    });
    this.#inbox = await this.#transport.openNode(this.nodeId, handler);
    this.#index = new LocalIndex(
      new InterestIndex(this.#inbox, {
        releaseDelayMs: ROUTE_RELEASE_DELAY_MS,
        minBatchIntervalMs: BIND_BATCH_INTERVAL_MS,
      }),
    );
    // Built once: every client frame is dispatched with it, so none allocates a context of its own.
    this.#commands = {
      options: this.options,
      auth: this.#auth,
      index: this.#index,
      relay: this.#relay,
      callable: this.#callable,
      lifecycle: this.#lifecycle,
      metrics: this.metrics,
    };
    const server = createServer(
      createHttpHandler({
        nodeId: this.nodeId,
        ready: () => this.#ready,
        registry: this.metrics.registry,
        fallback: this.#httpFallback,
      }),
    );
    limitHandshakeTime(server, this.options.handshakeTimeoutMs, () => {
      // Counted, logged at debug only: a flood of silent sockets must not become a flood of log lines.
      this.metrics.handshakeTimeouts.inc();
      this.#log.debug('no HTTP request head within handshakeTimeoutMs: socket destroyed');
    });
    server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#heartbeat = setInterval(
      () => checkLiveness(this.#live, this.options, this.metrics),
      this.options.pingIntervalMs,
    );
    this.#lifecycle.startHeartbeat(this.options.nodeHeartbeatMs, () => ({
      connections: this.#live.size,
      busiestChannels: this.#index?.busiestChannels(HEARTBEAT_CHANNELS) ?? [],
    }));
    this.#ready = true;
    this.#log.info({ port: this.port }, 'edge listening');
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws' || this.#draining || this.#closed) {
      socket.end(
        `HTTP/1.1 ${path !== '/ws' ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    const id = this.#connectionIds.next();
    // The connection makes its `conn` child logger on first use (see LazyLogger): most never log.
    const c = new Connection(id, ws, formatOf(ws.protocol), this.#log, this.metrics, {
      maxQueuedBytes: this.options.limits.maxQueuedBytes,
      rateLimitPerSecond: this.options.limits.rateLimitPerSecond,
      rateLimitBurst: this.options.limits.rateLimitBurst,
    });
    this.#live.add(c);
    let connectTimer: NodeJS.Timeout | undefined;
    ws.on('close', (code, reason) => {
      clearTimeout(connectTimer);
      void this.#closedConnection(c, code, reason.toString());
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        this.metrics.drops.inc({ reason: 'frame_too_large' });
      c.log.debug({ err: error }, 'socket error');
    });
    ws.on('pong', () => {
      c.lastSeen = Date.now();
    });
    ws.on('message', (data: Buffer, isBinary) => this.#message(c, data, isBinary));
    onFrameError(ws, (error, code) => this.#frameError(c, error, code));

    const origin = req.headers.origin;
    const allowed = this.options.allowedOrigins;
    if (allowed.length > 0 && (!origin || !allowed.includes(origin))) {
      c.send(errorFrame(0, ErrorCodes.PermissionDenied, `origin ${origin ?? '(none)'} is not allowed`));
      disconnect(c, Disconnects.originNotAllowed);
      return;
    }
    const token = new URL(req.url ?? '/', 'http://edge').searchParams.get('token');
    if (token) {
      c.inbox = authenticate(this.#commands!, this.nodeId, c, token, 0);
      return;
    }
    connectTimer = setTimeout(() => {
      connectTimer = undefined; // the close listener's closure would keep the spent timer for the connection's life
      if (c.state === 'connecting') {
        c.send(errorFrame(0, ErrorCodes.NotConnected, 'no Connect frame in time'));
        disconnect(c, Disconnects.connectTimeout);
      }
    }, this.options.connectTimeoutMs);
  }

  /** A frame ws refused (see frame-errors.ts): Error 101 or 100 and a Disconnect, then ws's close code. */
  #frameError(c: Connection, error: FrameError, code: number): void {
    if (code === CloseCode.MessageTooBig) {
      const max = this.options.limits.maxPayloadBytes;
      c.send(errorFrame(0, ErrorCodes.FrameTooLarge, `over limits.maxPayloadBytes (${max} bytes)`));
      c.disconnect(code, `frame larger than ${max} bytes`, false);
      return;
    }
    this.metrics.framesIn.inc({ kind: 'malformed' });
    c.send(errorFrame(0, ErrorCodes.BadFrame, error.message));
    c.disconnect(code, error.message, false);
  }

  #message(c: Connection, data: Buffer, isBinary: boolean): void {
    this.metrics.bytesIn.inc(data.byteLength);
    c.lastSeen = Date.now();
    if (!c.open) return;
    let frame: ClientFrame;
    try {
      frame = decodeIncoming(c.format, data, isBinary);
    } catch (error) {
      c.malformed++;
      this.metrics.framesIn.inc({ kind: 'malformed' });
      c.send(errorFrame(0, ErrorCodes.BadFrame, error instanceof DecodeError ? error.message : undefined));
      if (c.malformed >= this.options.limits.maxMalformedFrames) disconnect(c, Disconnects.malformedFrames);
      return;
    }
    this.metrics.framesIn.inc({ kind: frame.kind ?? 'unknown' });
    const size = data.byteLength;
    // The bucket bounds the pace of commands, not their pile: behind one that waits (a JWKS fetch, a slow
    // broker confirm) frames accumulate in `inbox`, so the bytes waiting there are bounded too.
    const backlog = c.inboxBytes + size > this.options.limits.maxInboxBytes;
    if (backlog || !c.bucket.take()) {
      this.metrics.rateLimitHits.inc();
      c.rateLimited++;
      if (c.rateLimited >= this.options.limits.rateLimitCloseAfter) disconnect(c, Disconnects.rateLimited);
      else
        c.send(
          errorFrame(
            frame.id,
            ErrorCodes.RateLimited,
            backlog ? 'commands waiting over limits.maxInboxBytes' : undefined,
          ),
        );
      return;
    }
    c.inboxBytes += size;
    c.inbox = c.inbox.then(() => {
      c.inboxBytes -= size;
      return this.#dispatch(c, frame);
    });
  }

  async #dispatch(c: Connection, frame: ClientFrame): Promise<void> {
    const ctx = this.#commands;
    if (!c.open || !this.#index || !ctx) return;
    if (c.state === 'connecting') {
      if (frame.kind === 'connect')
        return authenticate(ctx, this.nodeId, c, frame.connect?.token ?? '', frame.id);
      if (!this.options.allowAnonymous) {
        c.send(errorFrame(frame.id, ErrorCodes.NotConnected));
        disconnect(c, Disconnects.connectFirst);
        return;
      }
      await authenticate(ctx, this.nodeId, c, '', 0);
      if (!c.open) return;
    }
    await safely(c, `command ${frame.kind}`, () => handleCommand(ctx, c, frame), frame.id);
  }

  async #closedConnection(c: Connection, code: number, reason: string): Promise<void> {
    const wasConnected =
      c.state === 'connected' || (c.state === 'closing' && this.#index?.connection(c.id) === c);
    c.state = 'closed';
    this.#live.delete(c);
    this.#relay.cancel(c);
    const closeCode = c.closeCode || code;
    this.metrics.closes.inc({ code: String(closeCode) });
    if (this.#live.size === 0) this.#onEmpty?.();
    if (!wasConnected || !this.#index) return;
    this.metrics.connections.dec();
    let channels: string[] = [];
    await safely(c, 'remove connection', async () => {
      channels = await this.#index!.removeConnection(c);
    });
    this.metrics.subscriptions.dec(channels.length);
    this.#lifecycle.closed(c, closeCode, c.closeReason || reason);
    c.log.debug({ code: closeCode }, 'closed');
  }

  /** Graceful drain (drain.ts): readiness false, no new connections, every client moved elsewhere. */
  async drain(): Promise<DrainResult> {
    this.#ready = false;
    this.#draining = true;
    return drainConnections(this.#live, this.options, this.#log, (onEmpty) => {
      this.#onEmpty = onEmpty;
    });
  }

  /** Closes every socket, timer, the bus inbox and the HTTP server. The transport belongs to the caller. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    clearInterval(this.#heartbeat);
    this.#lifecycle.stop();
    this.#reannounce.close();
    this.#relay.close();
    for (const c of this.#live) terminate(c, Disconnects.nodeClosing);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await this.#inbox?.close().catch((error: unknown) => this.#log.warn({ err: error }, 'closing bus inbox'));
    const server = this.#server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.#log.info('edge closed');
  }
}
