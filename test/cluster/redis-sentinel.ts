/**
 * Redis with Sentinel on this machine (Debian's redis-server, as /work/shared/notes/redis-sentinel.md
 * verified): a primary and one replica (AOF on), three sentinels (`redis-server <conf> --sentinel`) with
 * quorum 2 and a 1 s down-after, all on ports of their own under a temp dir. The stores reach it as
 * `redis+sentinel://…/<name>` (packages/bus/src/redis/redis-connection.ts).
 *
 * killPrimary() SIGKILLs whichever server the sentinels name as primary; destroy() SIGKILLs every process
 * it started and removes the temp dir, also after a failure half-way through start().
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portAccepts } from '../support/ports.js';

const run = promisify(execFile);
const NAME = 'sbprimary';
const WAIT_MS = 60_000;

export class RedisSentinelGroup {
  readonly name = NAME;
  readonly #base: string;
  readonly #first: number;
  readonly #pidFiles: string[] = [];

  private constructor(base: string, firstPort: number) {
    this.#base = base;
    this.#first = firstPort;
  }

  /** The servers' ports: primary at start, replica at start. */
  get serverPorts(): [number, number] {
    return [this.#first + 1, this.#first + 2];
  }

  get sentinelPorts(): number[] {
    return [1, 2, 3].map((i) => this.#first + 20_000 + i);
  }

  /** REDIS_URL of the stores. */
  get url(): string {
    return `redis+sentinel://${this.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${NAME}`;
  }

  static async start(firstPort = 6470): Promise<RedisSentinelGroup> {
    const group = new RedisSentinelGroup(mkdtempSync(join(tmpdir(), 'sb-redis-sentinel-')), firstPort);
    try {
      const began = Date.now();
      const [primary, replica] = group.serverPorts;
      await group.#server(primary, []);
      await group.#server(replica, ['--replicaof', '127.0.0.1', String(primary)]);
      await group.#until('the replica to be in sync', async () =>
        /master_link_status:up/.test(await cli(replica, 'INFO', 'replication')),
      );
      for (const [i, port] of group.sentinelPorts.entries()) {
        const conf = join(group.#base, `sentinel-${i + 1}.conf`);
        const pid = join(group.#base, `sentinel-${i + 1}.pid`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            'daemonize yes',
            `pidfile ${pid}`,
            `logfile ${join(group.#base, `sentinel-${i + 1}.log`)}`,
            `dir ${group.#base}`,
            `sentinel monitor ${NAME} 127.0.0.1 ${primary} 2`,
            `sentinel down-after-milliseconds ${NAME} 1000`,
            `sentinel failover-timeout ${NAME} 5000`,
            '',
          ].join('\n'),
        );
        group.#pidFiles.push(pid);
        await run('redis-server', [conf, '--sentinel']);
      }
      await group.#until('every sentinel to know the replica and the other sentinels', async () => {
        for (const port of group.sentinelPorts) {
          const info = await cli(port, 'SENTINEL', 'MASTER', NAME);
          if (
            !/num-slaves\s+1/.test(info.replace(/\n/g, ' ')) ||
            !/num-other-sentinels\s+2/.test(info.replace(/\n/g, ' '))
          )
            return false;
        }
        return true;
      });
      console.log(
        `[cluster redis] primary, replica and 3 sentinels up in ${Date.now() - began} ms (${group.url})`,
      );
      return group;
    } catch (error) {
      await group.destroy();
      throw error;
    }
  }

  /** The port of the server the sentinels currently name as primary. */
  async primaryPort(): Promise<number> {
    for (const port of this.sentinelPorts) {
      try {
        const reply = await cli(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME);
        const [, primary] = reply.trim().split('\n');
        if (primary) return Number(primary);
      } catch {
        // try the next sentinel
      }
    }
    throw new Error('no sentinel names a primary');
  }

  /**
   * SIGKILL of the current primary; resolves once its port refuses. Returns the killed port. First `WAIT 1`:
   * Redis replicates asynchronously, so a write acknowledged in the last moments before the kill may be
   * missing on the promoted replica (docs/operations.md says so). Without the wait, one CI run saw no push
   * reach the user after the kill while presence recovered and nothing was logged; the likely cause (not
   * proven) is the notifications registry's entry of the user's connection, written 2–3 s before the kill,
   * missing on the replica. That is the documented caveat, not what the drill measures: how the services
   * follow a failover of replicated state.
   */
  async killPrimary(): Promise<number> {
    const port = await this.primaryPort();
    await cli(port, 'WAIT', '1', '5000');
    const pid = Number(readFileSync(join(this.#base, `redis-${port}.pid`), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    await this.#until(`redis ${port} to die`, async () => !(await portAccepts(port)));
    return port;
  }

  /** Waits until the sentinels name another primary than `port` and it answers as a primary. */
  async awaitPromotedOtherThan(port: number): Promise<number> {
    let promoted = 0;
    await this.#until('a replica promoted by the sentinels', async () => {
      promoted = await this.primaryPort();
      return promoted !== port && /role:master/.test(await cli(promoted, 'INFO', 'replication'));
    });
    return promoted;
  }

  /** A command on the server at `port` (redis-cli), its raw output. */
  command(port: number, ...args: string[]): Promise<string> {
    return cli(port, ...args);
  }

  async destroy(): Promise<void> {
    for (const file of this.#pidFiles) {
      try {
        if (existsSync(file)) process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    rmSync(this.#base, { recursive: true, force: true });
  }

  async #server(port: number, extra: string[]): Promise<void> {
    if (await portAccepts(port))
      throw new Error(`port ${port} is in use: cannot start a Redis for the drill`);
    const dir = join(this.#base, `redis-${port}`);
    mkdirSync(dir, { recursive: true });
    const pid = join(this.#base, `redis-${port}.pid`);
    this.#pidFiles.push(pid);
    await run('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--daemonize',
      'yes',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--dir',
      dir,
      '--pidfile',
      pid,
      '--logfile',
      join(this.#base, `redis-${port}.log`),
      ...extra,
    ]);
    await this.#until(`redis ${port} to answer`, async () =>
      (await cli(port, 'PING').catch(() => '')).includes('PONG'),
    );
  }

  async #until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5_000,
  });
  return stdout;
}
