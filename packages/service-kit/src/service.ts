/**
 * `defineService(...)`: what every business service shares. A service consumes its work topic (topic =
 * group = service name, ordered by the Inbound key so one room/order/user is handled by one instance at a
 * time), decodes each Inbound once and dispatches it by `type` to a registered handler. It can reply to
 * requests, react to lifecycle events, publish through `service.publisher`, and serves `/healthz`,
 * `/readyz` and `/metrics` on its own port.
 *
 * Handler contract: resolve = handled (acked); throw = retried by the bus with attempt + 1, and after
 * `maxAttempts` the message goes to the dead-letter queue (and a pending request gets an Internal error
 * reply so the client is not left waiting for its timeout). Messages the kit cannot handle — malformed
 * bytes, unknown types, payloads the decoder refuses — are logged once and acked: retrying cannot fix them
 * and nothing is ever thrown out of the bus handler for them.
 *
 * stop(): readiness goes false, new messages are parked (not started), in-flight handlers get up to
 * `stopTimeoutMs` to finish, then the consumers close (parked and unfinished messages go back to the
 * broker for another instance) and the HTTP server closes. The transport belongs to whoever created it.
 */
import type { Closable, Transport, WorkMessage } from '@switchboard/bus';
import {
  decodeInbound,
  decodeLifecycleEvent,
  ErrorCodes,
  type ErrorName,
  type ErrorSpec,
  expandLifecycle,
  type Inbound,
  type LifecycleEvent,
  Origin,
  ServiceNames,
} from '@switchboard/protocol';
import { type Payload, Publisher, toPayloadBytes } from '@switchboard/publisher';
import {
  type HealthServer,
  processTracing,
  silentLogger,
  startHealthServer,
  type Tracing,
} from '@switchboard/runtime';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Drain } from './drain.js';
import { ServiceKitError, ServiceKitErrorCodes } from './errors.js';
import { type LifecycleResync, serviceLifecycleResync, UNCHECKED } from './lifecycle-resync.js';
import { ServiceMetrics } from './metrics.js';
import type { PayloadDecoder } from './payloads.js';
import type {
  HandlerOptions,
  InboundContext,
  InboundHandler,
  LifecycleContext,
  LifecycleHandler,
  Service,
  ServiceOptions,
} from './service-types.js';
import { sendAnswer, startHandlerSpan, traced } from './tracing.js';

/** The work topic of the edges' lifecycle events (defined once in @switchboard/protocol). */
export const LIFECYCLE_TOPIC = ServiceNames.lifecycle;
const NAME = /^[A-Za-z0-9_-]{1,100}$/;
const MAX_WARNED_TYPES = 1_000;

interface Registration {
  readonly handler: InboundHandler<unknown>;
  readonly decode: PayloadDecoder<unknown> | undefined;
  readonly clientCallable: boolean;
}

export function defineService(options: ServiceOptions): Service {
  return new ServiceImpl(options);
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

class ServiceImpl implements Service {
  readonly name: string;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly publisher: Publisher;
  readonly #transport: Transport;
  readonly #stats: ServiceMetrics;
  readonly #handlers = new Map<string, Registration>();
  readonly #lifecycle: LifecycleHandler[] = [];
  readonly #warnedTypes = new Set<string>();
  readonly #consumers: Closable[] = [];
  readonly #drain = new Drain();
  readonly #options: ServiceOptions;
  readonly #tracing: Tracing;
  readonly #resync: LifecycleResync;
  #server: HealthServer | undefined;
  #port: number | undefined;
  #state: State = 'new';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ServiceOptions) {
    if (!NAME.test(options.name))
      throw new ServiceKitError(
        ServiceKitErrorCodes.BadOptions,
        `service name "${options.name}" must match ${NAME}: it names a topic and a consumer group`,
      );
    const port = options.httpPort;
    if (port !== undefined && port !== false && !(Number.isInteger(port) && port >= 0 && port <= 65535))
      throw new ServiceKitError(ServiceKitErrorCodes.BadOptions, `httpPort ${port} is not 0–65535 or false`);
    this.#options = options;
    this.name = options.name;
    this.#transport = options.transport;
    this.log = (options.logger ?? silentLogger()).child({ service: options.name });
    this.metrics = options.metricsRegistry ?? new Registry();
    this.#stats = new ServiceMetrics(this.metrics, options.name);
    this.publisher = options.publisher ?? new Publisher(options.transport);
    this.#tracing = options.tracing ?? processTracing(`switchboard-${options.name}`);
    this.#resync = serviceLifecycleResync(options, this.metrics, this.log);
  }

  get ready(): boolean {
    return this.#state === 'running' && !this.#drain.draining;
  }

  get httpPort(): number | undefined {
    return this.#port;
  }

  on<T = Uint8Array>(type: string, handler: InboundHandler<T>, options: HandlerOptions<T> = {}): Service {
    this.#assertNotStarted(`on("${type}")`);
    if (!type) throw new ServiceKitError(ServiceKitErrorCodes.BadHandler, 'message type must not be empty');
    if (this.#handlers.has(type))
      throw new ServiceKitError(
        ServiceKitErrorCodes.BadHandler,
        `a handler for "${type}" is already registered`,
      );
    this.#handlers.set(type, {
      handler: handler as InboundHandler<unknown>,
      decode: options.decode as PayloadDecoder<unknown> | undefined,
      clientCallable: options.clientCallable ?? false,
    });
    return this;
  }

  onLifecycle(handler: LifecycleHandler): Service {
    this.#assertNotStarted('onLifecycle()');
    this.#lifecycle.push(handler);
    return this;
  }

  forgetNode(nodeId: string): Promise<void> {
    return this.#resync.forget(nodeId);
  }

  async reply(inbound: Inbound, type: string, payload: Payload): Promise<boolean> {
    if (!inbound.requestId || !inbound.connectionId) return false;
    await sendAnswer(this.#tracing, this.publisher, this.name, inbound, {
      connection: inbound.connectionId,
      service: this.name, // the edge accepts an answer only from the service its request went to
      publishedAtMs: Date.now(),
      traceId: inbound.traceId,
      reply: { requestId: inbound.requestId, type, payload: toPayloadBytes(payload) },
    });
    return true;
  }

  async replyError(inbound: Inbound, code: ErrorName | ErrorSpec, message?: string): Promise<boolean> {
    if (!inbound.requestId || !inbound.connectionId) return false;
    const spec: ErrorSpec = typeof code === 'string' ? ErrorCodes[code] : code;
    await sendAnswer(this.#tracing, this.publisher, this.name, inbound, {
      connection: inbound.connectionId,
      service: this.name,
      publishedAtMs: Date.now(),
      traceId: inbound.traceId,
      reply: {
        requestId: inbound.requestId,
        type: inbound.type,
        error: { code: spec.wire, message: message ?? spec.message, temporary: spec.temporary },
      },
    });
    return true;
  }

  start(): Promise<void> {
    if (this.#state !== 'new')
      return Promise.reject(
        new ServiceKitError(ServiceKitErrorCodes.BadState, `start() on a service that is ${this.#state}`),
      );
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const common = {
      group: this.name,
      ordered: true,
      prefetch: this.#options.prefetch ?? 16,
      maxAttempts: this.#options.maxAttempts ?? 5,
    };
    try {
      if (this.#options.httpPort !== false) {
        this.#server = await startHealthServer({
          identity: { service: this.name },
          ready: () => this.ready,
          registry: this.metrics,
          port: this.#options.httpPort ?? 0,
          ...(this.#options.httpHost ? { host: this.#options.httpHost } : {}),
        });
        this.#port = this.#server.port;
      }
      if (this.#handlers.size > 0)
        this.#consumers.push(await this.#transport.consumeWork(this.name, common, (m) => this.#onInbound(m)));
      if (this.#lifecycle.length > 0)
        this.#consumers.push(
          await this.#transport.consumeWork(LIFECYCLE_TOPIC, common, (m) => this.#onLifecycle(m)),
        );
    } catch (error) {
      await this.#shutdown(0); // not stop(): a stop() waiting for this start would wait for itself
      throw error;
    }
    this.#state = 'running';
    this.log.info(
      { types: [...this.#handlers.keys()], lifecycle: this.#lifecycle.length > 0, httpPort: this.#port },
      'service started',
    );
  }

  /** Idempotent; waits for a start() in progress first so nothing it opens is left behind. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#drain.stopAccepting(); // synchronously: readiness goes false, new messages park from now on
      await this.#starting?.catch(() => undefined);
      await this.#shutdown(this.#options.stopTimeoutMs ?? 10_000);
    })();
    return this.#stopping;
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    const drained = await this.#drain.drain(timeoutMs);
    if (!drained)
      this.log.warn(
        { running: this.#drain.running, timeoutMs },
        'handlers still running at the stop deadline; their messages go back to the broker',
      );
    for (const consumer of this.#consumers.splice(0)) {
      await consumer
        .close()
        .catch((error: unknown) => this.log.warn({ err: error }, 'closing a consumer failed'));
    }
    this.#drain.release();
    await this.#server?.close();
    this.#state = 'stopped';
    this.log.info('service stopped');
  }

  async #onInbound(message: WorkMessage): Promise<void> {
    if (this.#drain.draining) return this.#drain.park();
    let inbound: Inbound;
    try {
      inbound = decodeInbound(message.bytes);
    } catch (error) {
      this.#stats.outcome('_malformed', 'malformed');
      this.#stats.error('malformed');
      this.log.warn(
        { err: error, topic: message.topic, key: message.key, size: message.bytes.byteLength },
        'dropping malformed inbound message',
      );
      return;
    }
    const registration = this.#handlers.get(inbound.type);
    if (!registration) return this.#unknownType(inbound);
    if (inbound.origin === Origin.ORIGIN_CLIENT && !registration.clientCallable)
      return this.#notCallable(inbound);
    const log = this.log.child({
      type: inbound.type,
      connectionId: inbound.connectionId || undefined,
      userId: inbound.userId || undefined,
      requestId: inbound.requestId || undefined,
      traceId: inbound.traceId || undefined,
    });
    let payload: unknown;
    try {
      payload = registration.decode ? registration.decode(inbound.payload) : inbound.payload;
    } catch (error) {
      this.#stats.outcome(inbound.type, 'bad_payload');
      this.#stats.error('bad_payload');
      log.warn({ err: error }, 'dropping inbound message: payload does not decode');
      await this.#replyErrorQuietly(inbound, 'BadRequest', `payload of "${inbound.type}" is not valid`, log);
      return;
    }
    const context: InboundContext<unknown> = {
      type: inbound.type,
      payload,
      inbound,
      attempt: message.attempt,
      redelivered: message.redelivered,
      log,
      reply: (type, body) => this.reply(inbound, type, body),
      replyError: (code, text) => this.replyError(inbound, code, text),
    };
    const handle = () =>
      this.#run(inbound.type, message.attempt, log, () => registration.handler(context), inbound);
    if (!this.#tracing.enabled) return handle();
    await traced(startHandlerSpan(this.#tracing, this.name, inbound, message.attempt), handle);
  }

  async #onLifecycle(message: WorkMessage): Promise<void> {
    if (this.#drain.draining) return this.#drain.park();
    let event: LifecycleEvent;
    try {
      event = decodeLifecycleEvent(message.bytes);
    } catch (error) {
      this.#stats.outcome('_malformed', 'malformed');
      this.#stats.error('malformed');
      this.log.warn({ err: error, size: message.bytes.byteLength }, 'dropping malformed lifecycle event');
      return;
    }
    // Checked per message (a batch is one): its sequence against the node's cursor (lifecycle-resync.ts).
    // An unsequenced message (no incarnation: tests, tools, older edges) costs no await at all.
    const check = event.incarnation ? await this.#resync.check(event) : UNCHECKED;
    if (!check.apply) {
      this.#stats.outcome(`lifecycle.${event.event}`, 'stale');
      return;
    }
    // A batch (one edge turn's events) is handled event by event, in order; a failure retries the whole
    // message, which handlers tolerate: lifecycle delivery is at least once already.
    for (const one of expandLifecycle(event)) {
      const type = `lifecycle.${one.event}`;
      const log = this.log.child({ type, nodeId: one.nodeId });
      const context: LifecycleContext = {
        attempt: message.attempt,
        redelivered: message.redelivered,
        log,
        ...(check.snapshot ? { snapshot: check.snapshot } : {}),
      };
      await this.#run(type, message.attempt, log, async () => {
        for (const handler of this.#lifecycle) await handler(one, context);
      });
    }
    if (check.commit) await this.#resync.commit(event.nodeId, check.commit);
    if (check.snapshot?.complete) this.#resync.snapshotApplied(event.nodeId);
  }

  /** Runs one handler attempt with metrics and in-flight tracking; rethrows so the bus retries. */
  async #run(
    type: string,
    attempt: number,
    log: Logger,
    handler: () => Promise<void> | void,
    inbound?: Inbound,
  ): Promise<void> {
    const done = this.#stats.time(type);
    try {
      await this.#drain.track(async () => handler());
      this.#stats.outcome(type, 'ok');
    } catch (error) {
      this.#stats.error('handler');
      const final = attempt >= (this.#options.maxAttempts ?? 5);
      this.#stats.outcome(type, final ? 'dead_lettered' : 'error');
      if (final) {
        log.error({ err: error, attempt }, 'handler failed for the last time; dead-lettering the message');
        if (inbound) await this.#replyErrorQuietly(inbound, 'Internal', undefined, log);
      } else log.warn({ err: error, attempt }, 'handler failed; the bus will retry');
      throw error;
    } finally {
      done();
    }
  }

  async #unknownType(inbound: Inbound): Promise<void> {
    this.#stats.outcome('_unknown', 'unknown_type');
    this.#warnOnce(inbound.type, 'no handler for this inbound type; acking (logged once per type)', inbound);
    await this.#replyErrorQuietly(inbound, 'BadRequest', `unknown type "${inbound.type}"`, this.log);
  }

  /** A client-originated Inbound for an internal type: refused, never handled (see HandlerOptions). */
  async #notCallable(inbound: Inbound): Promise<void> {
    this.#stats.outcome(inbound.type, 'not_callable');
    this.#warnOnce(inbound.type, 'a client sent an internal type; refused (logged once per type)', inbound);
    await this.#replyErrorQuietly(inbound, 'NotCallable', `${this.name}/${inbound.type}`, this.log);
  }

  async #replyErrorQuietly(inbound: Inbound, code: ErrorName, message: string | undefined, log: Logger) {
    try {
      await this.replyError(inbound, code, message);
    } catch (error) {
      this.#stats.error('reply');
      log.warn({ err: error }, 'error reply not published');
    }
  }

  /** One warning per type (bounded): a flood of bad messages must not become a flood of log lines. */
  #warnOnce(type: string, message: string, inbound: Inbound): void {
    if (this.#warnedTypes.has(type) || this.#warnedTypes.size >= MAX_WARNED_TYPES) return;
    this.#warnedTypes.add(type);
    this.log.warn({ type, connectionId: inbound.connectionId || undefined, origin: inbound.origin }, message);
  }

  #assertNotStarted(what: string): void {
    if (this.#state !== 'new')
      throw new ServiceKitError(ServiceKitErrorCodes.BadHandler, `${what} must be called before start()`);
  }
}
