/**
 * A three-node RabbitMQ cluster of processes on this machine (Debian's rabbitmq-server, beside the host's
 * own node, which it does not touch): nodes `sbc<run>-<i>@localhost` on AMQP ports base+1..3, each with a
 * data folder of its own under a temp dir and one shared cookie. The way it is started is the one
 * /work/shared/notes/rabbitmq-cluster.md verified: /usr/lib/rabbitmq/bin/rabbitmq-server directly (the
 * /usr/sbin wrapper drops the environment), nodes 2 and 3 join node 1.
 *
 * kill(i) SIGKILLs node i's Erlang VM (what a machine loss looks like to the others); stop(i) stops it
 * cleanly; start(i) starts it again on its data, and it rejoins. destroy() kills every node it started and
 * removes the temp dir, also after a failure half-way through start().
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portAccepts } from '../support/ports.js';

const run = promisify(execFile);
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const CTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
const BOOT_TIMEOUT_MS = 120_000;

export interface ClusterNode {
  readonly index: number;
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
}

export class RabbitCluster {
  readonly nodes: ClusterNode[];
  readonly #base: string;
  readonly #cookie: string;
  readonly #children = new Map<number, ChildProcess>();

  private constructor(base: string, firstPort: number) {
    this.#base = base;
    this.#cookie = randomBytes(20).toString('hex');
    const cookieFile = join(base, 'cookie');
    writeFileSync(cookieFile, this.#cookie);
    chmodSync(cookieFile, 0o400);
    const run = randomBytes(3).toString('hex');
    this.nodes = [1, 2, 3].map((index) => {
      const port = firstPort + index;
      const dir = join(base, `n${index}`);
      mkdirSync(dir, { recursive: true });
      return {
        index,
        name: `sbc${run}-${index}@localhost`,
        port,
        url: `amqp://guest:guest@127.0.0.1:${port}`,
        dir,
      };
    });
  }

  /** Every node's URL, comma-separated: the SWITCHBOARD_BUS of a cluster. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /**
   * Starts three clustered nodes on AMQP ports firstPort+1..3 (Erlang distribution on +20000). The ports
   * must be free; a port in use fails the start naming it.
   */
  static async start(firstPort = 5790): Promise<RabbitCluster> {
    const cluster = new RabbitCluster(mkdtempSync(join(tmpdir(), 'sb-rabbit-cluster-')), firstPort);
    try {
      const began = Date.now();
      await Promise.all(cluster.nodes.map((n) => cluster.start(n.index)));
      for (const node of cluster.nodes.slice(1)) {
        await cluster.ctl(node.index, 'stop_app');
        await cluster.ctl(node.index, 'join_cluster', cluster.nodes[0]!.name);
        await cluster.ctl(node.index, 'start_app');
      }
      await cluster.awaitRunning(3);
      console.log(`[cluster rabbitmq] 3 nodes up and clustered in ${Date.now() - began} ms (${cluster.url})`);
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** Starts node i (fresh or on its data) and resolves once its AMQP port accepts connections. */
  async start(index: number): Promise<void> {
    const node = this.node(index);
    if (await portAccepts(node.port))
      throw new Error(`port ${node.port} is in use: cannot start ${node.name}`);
    const log = openSync(join(node.dir, 'console.log'), 'a');
    const child = spawn(SERVER, [], {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        HOME: node.dir,
        RABBITMQ_NODENAME: node.name,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(node.port),
        RABBITMQ_DIST_PORT: String(node.port + 20_000),
        RABBITMQ_MNESIA_BASE: join(node.dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(node.dir, 'log'),
        RABBITMQ_PID_FILE: join(node.dir, 'pid'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(node.dir, 'enabled_plugins'),
        RABBITMQ_CONFIG_FILE: join(node.dir, 'rabbitmq'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-setcookie ${this.#cookie}`,
      },
    });
    child.unref();
    this.#children.set(index, child);
    await this.#until(`${node.name} to accept AMQP connections`, () => portAccepts(node.port));
  }

  /** SIGKILL of node i's Erlang VM; resolves once its port refuses. */
  async kill(index: number): Promise<void> {
    this.#signal(index, 'SIGKILL');
    await this.#until(
      `${this.node(index).name} to die`,
      async () => !(await portAccepts(this.node(index).port)),
    );
  }

  /** A clean stop of node i (SIGTERM); resolves once the VM has exited. */
  async stop(index: number): Promise<void> {
    const pid = this.#pid(index);
    this.#signal(index, 'SIGTERM');
    await this.#until(`${this.node(index).name} to stop`, async () => pid === undefined || !alive(pid));
  }

  /** The node (index) leading most of the quorum queues whose names start with `prefix`. */
  async leaderOf(prefix: string, askIndex?: number): Promise<ClusterNode> {
    const asked = askIndex ?? (await this.#anyRunning());
    const { stdout } = await this.ctl(
      asked,
      'list_queues',
      'name',
      'leader',
      '--formatter',
      'json',
      '--quiet',
    );
    const rows = JSON.parse(stdout) as { name: string; leader?: string }[];
    const counts = new Map<string, number>();
    for (const row of rows)
      if (row.name.startsWith(prefix) && row.leader)
        counts.set(row.leader, (counts.get(row.leader) ?? 0) + 1);
    const [leader] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    const node = this.nodes.find((n) => n.name === leader);
    if (!node)
      throw new Error(`no quorum queue starting with ${prefix} has a leader (${stdout.slice(0, 300)})`);
    return node;
  }

  /** Waits until `count` nodes are running in the cluster (as node `askIndex` or any running node sees it). */
  async awaitRunning(count: number): Promise<void> {
    await this.#until(`${count} running cluster nodes`, async () => {
      try {
        const { stdout } = await this.ctl(await this.#anyRunning(), 'cluster_status', '--formatter', 'json');
        return ((JSON.parse(stdout) as { running_nodes?: string[] }).running_nodes ?? []).length >= count;
      } catch {
        return false;
      }
    });
  }

  /** Waits until every quorum queue starting with `prefix` has all 3 members online again. */
  async awaitQuorumMembers(prefix: string): Promise<void> {
    await this.#until(`every ${prefix}* quorum queue with 3 online members`, async () => {
      try {
        const { stdout } = await this.ctl(
          await this.#anyRunning(),
          'list_queues',
          'name',
          'online',
          '--formatter',
          'json',
          '--quiet',
        );
        const rows = JSON.parse(stdout) as { name: string; online?: string[] | string }[];
        return rows
          .filter((r) => r.name.startsWith(prefix))
          .every((r) => Array.isArray(r.online) && r.online.length === 3);
      } catch {
        return false;
      }
    });
  }

  ctl(index: number, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const node = this.node(index);
    return run(CTL, ['-n', node.name, '--erlang-cookie', this.#cookie, ...args], {
      env: { ...process.env, HOME: node.dir },
      timeout: BOOT_TIMEOUT_MS,
    });
  }

  node(index: number): ClusterNode {
    const node = this.nodes[index - 1];
    if (!node) throw new Error(`no node ${index}`);
    return node;
  }

  /** Kills every node still running and removes the data. Idempotent; never throws. */
  async destroy(): Promise<void> {
    for (const node of this.nodes) {
      try {
        this.#signal(node.index, 'SIGKILL');
      } catch {
        // not running
      }
    }
    for (const child of this.#children.values()) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    rmSync(this.#base, { recursive: true, force: true });
  }

  async #anyRunning(): Promise<number> {
    for (const node of this.nodes) if (await portAccepts(node.port)) return node.index;
    throw new Error('no cluster node is running');
  }

  #pid(index: number): number | undefined {
    const file = join(this.node(index).dir, 'pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  #signal(index: number, signal: NodeJS.Signals): void {
    const pid = this.#pid(index);
    if (pid === undefined) throw new Error(`${this.node(index).name} has no pid file`);
    process.kill(pid, signal);
  }

  async #until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${BOOT_TIMEOUT_MS} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
