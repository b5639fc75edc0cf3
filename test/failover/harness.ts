/**
 * Shared parts of the failover tests (issue 6): brokers for one bus, a `pnpm topology` run per test in a
 * temp dir (stopped by pid even when the test fails), SDK clients through nginx, the API, and SIGKILL of
 * one topology process by name.
 *
 * Brokers come from test/support/brokers.ts like every integration test's: containers by default (each
 * file gets its own RabbitMQ or Kafka and one Redis, so restarting them disturbs nobody else), the host's
 * RabbitMQ with SWITCHBOARD_TEST_BROKERS=local or AMQP_URL — then every topology gets a vhost of its own.
 * On the Redis bus the bus has a Redis of its own besides the stores' one, like a RabbitMQ or a Kafka.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '../../packages/client/src/index.js';
import { sign } from '../../services/edge/src/testing/harness.js';
import {
  type KafkaHandle,
  type RabbitHandle,
  type RedisHandle,
  startKafka,
  startRabbit,
  startRedis,
} from '../support/brokers.js';
import { kafkaOutage, redisOutage } from '../support/container-outage.js';
import { groupMembers } from '../support/processes.js';
import { ownVhost } from '../support/rabbitmq.js';
import { waitFor as pollUntil, sleep } from '../support/wait.js';
import { type OutageTimes, rabbitOutage } from './broker-outage.js';

const run = promisify(execFile);
/** An API call through nginx gives up after this: the API answers within its bus timeout (10 s) or fails. */
const API_TIMEOUT_MS = 30_000;
const root = new URL('../../', import.meta.url).pathname;

export type BusKind = 'rabbitmq' | 'kafka' | 'redis';

export { sleep };

/** test/support/wait.ts's waitFor, polling every 100 ms by default (the failover checks are not cheap). */
export const waitFor = <T>(what: string, check: () => T | Promise<T>, timeoutMs: number, everyMs = 100) =>
  pollUntil(what, check, timeoutMs, everyMs);

export interface Brokers {
  readonly kind: BusKind;
  readonly redis: RedisHandle;
  /** A bus URL for a new topology (RabbitMQ on the host: a fresh vhost each time). */
  busUrl(): Promise<string>;
  /** Restarts the broker; data (durable queues, topics) is kept. */
  restartBroker(): Promise<void>;
  /**
   * The broker down for `downMs` (connections refused), then up again with its data: RabbitMQ's app stopped
   * and started (broker-outage.ts), Kafka's or the bus Redis's container stopped and started
   * (test/support/container-outage.ts).
   */
  brokerOutage(downMs: number): Promise<OutageTimes>;
  stop(): Promise<void>;
}

const hostRabbit = () =>
  Boolean(process.env.AMQP_URL) || process.env.SWITCHBOARD_TEST_BROKERS?.trim() === 'local';

/** The bus's own broker: what a drill may restart or take down, apart from the stores' Redis. */
type BusBroker = Pick<Brokers, 'busUrl' | 'restartBroker' | 'brokerOutage' | 'stop'>;

export async function startBrokers(kind: BusKind): Promise<Brokers> {
  const redis = await startRedis();
  let bus: BusBroker;
  try {
    bus = await startBusBroker(kind);
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return {
    kind,
    redis,
    busUrl: () => bus.busUrl(),
    restartBroker: () => bus.restartBroker(),
    brokerOutage: (downMs) => bus.brokerOutage(downMs),
    stop: async () => {
      await bus.stop();
      await redis.stop();
    },
  };
}

async function startBusBroker(kind: BusKind): Promise<BusBroker> {
  if (kind === 'kafka') {
    const kafka: KafkaHandle = await startKafka();
    return {
      busUrl: async () => `kafka://${kafka.brokers.join(',')}`,
      restartBroker: () => kafka.restart(),
      brokerOutage: (downMs) => kafkaOutage(kafka.brokers[0] ?? '', downMs),
      stop: () => kafka.stop(),
    };
  }
  if (kind === 'redis') {
    // Not the stores' Redis: an outage of the bus must leave history's store up, as on RabbitMQ and Kafka.
    const bus: RedisHandle = await startRedis();
    return {
      busUrl: async () => bus.url,
      restartBroker: () => bus.restart(),
      brokerOutage: (downMs) => redisOutage(bus.url, downMs),
      stop: () => bus.stop(),
    };
  }
  const rabbit: RabbitHandle = await startRabbit();
  const vhosts: { remove(): Promise<void> }[] = [];
  return {
    busUrl: async () => {
      const own = await ownVhost(rabbit.url, 'sb-failover'); // the host's shared broker: a fresh vhost each time
      vhosts.push(own);
      return own.url;
    },
    restartBroker: () => rabbit.restart(),
    brokerOutage: (downMs) => rabbitOutage(rabbit.url, hostRabbit(), downMs),
    stop: async () => {
      for (const vhost of vhosts) await vhost.remove().catch(() => undefined);
      await rabbit.stop();
    },
  };
}

interface ProcessEntry {
  name: string;
  kind: string;
  pid: number;
  port: number;
  log: string;
}

export interface TopologyOptions {
  edges?: number;
  /** e.g. ['chat=2'] */
  replicas?: string[];
  /** `--env` values: [target:]NAME=VALUE */
  env?: string[];
}

function topologyCli(args: string[]) {
  return run(process.execPath, [join(root, 'scripts/topology.mjs'), ...args], {
    cwd: root,
    timeout: 150_000,
  });
}

/** One `pnpm topology up` in a temp dir, with the clients the test opened through its nginx. */
export class Topology {
  readonly dir: string;
  readonly secret = randomBytes(24).toString('base64url');
  readonly apiKey = `sb_${randomBytes(12).toString('base64url')}`;
  readonly clients: Client[] = [];
  processes: ProcessEntry[] = [];
  port = 0;
  /** Topologies up and not yet taken down: a test that times out never reaches its own `finally`. */
  static readonly #live = new Set<Topology>();
  /** The last log lines of the topology taken down last, for a failure reported after its test's `finally`. */
  static #lastTails = '';
  #down: Promise<void> | undefined;

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'sb-failover-'));
  }

  static async up(brokers: Brokers, options: TopologyOptions = {}): Promise<Topology> {
    Topology.#lastTails = ''; // an earlier test's lines would mislead a failure of this one
    const t = new Topology();
    const args = ['up', '--dir', t.dir, '--port', '0', '--bus', await brokers.busUrl()];
    args.push('--redis', brokers.redis.url, '--jwt-secret', t.secret, '--api-key', t.apiKey);
    args.push('--log-level', process.env.FAILOVER_LOG_LEVEL ?? 'warn', '--edges', String(options.edges ?? 2));
    for (const r of options.replicas ?? []) args.push('--replicas', r);
    for (const e of options.env ?? []) args.push('--env', e);
    const began = Date.now();
    try {
      await topologyCli(args);
    } catch (error) {
      t.readState();
      await t.down();
      throw error;
    }
    t.readState();
    Topology.#live.add(t);
    console.log(`[failover] topology (${brokers.kind}) up in ${Date.now() - began} ms on port ${t.port}`);
    return t;
  }

  private readState(): void {
    try {
      const state = JSON.parse(readFileSync(join(this.dir, 'state.json'), 'utf8')) as {
        port: number;
        processes: ProcessEntry[];
      };
      this.port = state.port;
      this.processes = state.processes;
    } catch {
      // nothing recorded
    }
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  process(name: string): ProcessEntry {
    const p = this.processes.find((entry) => entry.name === name);
    if (!p) throw new Error(`no process ${name} in ${this.processes.map((e) => e.name).join(', ')}`);
    return p;
  }

  /** SIGKILL to the whole process group of `name` (tsx and its node child); resolves when it is gone. */
  async kill(name: string): Promise<void> {
    const { pid } = this.process(name);
    process.kill(-pid, 'SIGKILL');
    await waitFor(`${name} to die`, () => groupMembers([pid]).length === 0, 10_000, 20);
  }

  /** Opens a client through nginx as `user` and waits until it is connected. */
  async connect(user: string, timeoutMs = 30_000): Promise<Client> {
    const token = await sign({ sub: user }, { secret: this.secret, expiresIn: '1h' });
    const client = new Client(this.wsUrl, {
      token,
      minReconnectDelayMs: 100,
      maxReconnectDelayMs: 1_000,
      timeoutMs: 20_000,
    });
    this.clients.push(client);
    client.connect();
    await client.ready(timeoutMs);
    return client;
  }

  /** A call to the API through nginx with the topology's key. */
  async api(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }).catch((error: unknown) => {
      throw new Error(`${method} ${path}: ${String(error)}`, { cause: error });
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, json };
  }

  /**
   * Takes down every topology still up. For afterEach: when vitest times a test out, its `finally` runs
   * only once the awaited step gives up (if ever), and the processes would meanwhile join the next test's
   * consumer groups (seen: a timed-out Kafka test 4 made test 3's first request time out).
   */
  static async downAll(): Promise<void> {
    await Promise.all([...Topology.#live].map((t) => t.down()));
  }

  /** Stops every process it started (and SIGKILLs any member left), closes the clients, removes the dir. Once. */
  down(): Promise<void> {
    this.#down ??= this.#takeDown();
    Topology.#live.delete(this);
    return this.#down;
  }

  async #takeDown(): Promise<void> {
    Topology.#lastTails = this.logTails();
    for (const client of this.clients) client.disconnect();
    const pids = this.processes.map((p) => p.pid);
    await topologyCli(['down', '--dir', this.dir, '--grace-ms', '3000']).catch((error: unknown) =>
      console.error(`[failover] topology down: ${String(error)}`),
    );
    for (const pid of groupMembers(pids)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (process.env.FAILOVER_KEEP_LOGS) console.log(`[failover] logs kept in ${this.dir}/logs`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines of every process's log, for a failure message (each line cut to 300 characters). */
  logTails(lines = 3): string {
    return this.processes
      .map((p) => {
        let tail: string[] = [];
        try {
          tail = readFileSync(p.log, 'utf8').trimEnd().split('\n').slice(-lines);
        } catch {
          // no log (yet)
        }
        const text = tail.filter(Boolean).map((line) => `    ${line.slice(0, 300)}`);
        return `  ${p.name}:${text.length ? `\n${text.join('\n')}` : ' (nothing)'}`;
      })
      .join('\n');
  }

  /** {@link logTails} of every topology still up, or else of the one taken down last (kept when it went down). */
  static recentLogTails(): string {
    const live = [...Topology.#live].map((t) => t.logTails()).join('\n');
    return live || Topology.#lastTails || '  (no topology was up)';
  }
}

export const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
export const parse = (bytes: Uint8Array) =>
  JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
export const hex = (bytes = 4) => randomBytes(bytes).toString('hex');

/** A checker asks again on a temporary error, as a client would: up to this long per page. */
const HISTORY_READ_PATIENCE_MS = 30_000;

/**
 * One page of GET /v1/history through the topology's API, for the drills' final checks. A 502/503/504 is a
 * temporary error: the checker retries it for up to 30 s, so that a request failing with an error — which the
 * drills allow — is not taken for lost data; history still unreadable after that fails the drill. Seen in a CI
 * run of the RabbitMQ node-kill drill: one history query answered 504 ~23 s after the kill.
 */
export async function readHistoryPage(t: Topology, channel: string, query: string) {
  const deadline = Date.now() + HISTORY_READ_PATIENCE_MS;
  for (;;) {
    const r = await t.api('GET', `/v1/history/${encodeURIComponent(channel)}?${query}`);
    if (r.status === 200) return r;
    if (![502, 503, 504].includes(r.status) || Date.now() > deadline)
      throw new Error(`history ${channel}: ${r.status} ${JSON.stringify(r.json)}`);
    await sleep(500);
  }
}
