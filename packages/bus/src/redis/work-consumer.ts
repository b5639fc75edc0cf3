/**
 * One consumeWork() call: an instance of a consumer group on the topic's shard streams. It starts the
 * group's heartbeat and read loop, and stops them at close(), which abandons entries in flight: they are
 * not acked and go to the next instance. The work is split by job:
 *
 * - ordered-work.ts (the default): each shard owned by one live instance under a lease, handed over in
 *   stream order, entries of a shard handled one at a time;
 * - unordered-work.ts (`ordered: false`): competing consumers on every shard, dead consumers' entries
 *   reclaimed;
 * - work-delivery.ts: each entry's handler run, retries counted by Redis, dead letters;
 * - group-reader.ts: XREADGROUP on the dedicated connection; ../timer-set.ts: the pauses close() ends.
 */
import { randomUUID } from 'node:crypto';
import { TimerSet } from '../timer-set.js';
import type { Closable } from '../transport.js';
import { ensureGroups } from './group-reader.js';
import { OrderedWork } from './ordered-work.js';
import { workStream } from './redis-names.js';
import { UnorderedWork } from './unordered-work.js';
import type { WorkConsumerConfig, WorkContext } from './work-context.js';

export type { WorkConsumerConfig } from './work-context.js';

export class RedisWorkConsumer implements Closable {
  readonly name: string;
  readonly #c: WorkConsumerConfig;
  readonly #context: WorkContext;
  readonly #timers = new TimerSet();
  readonly #work: OrderedWork | UnorderedWork;
  #closed = false;
  #loop: Promise<void> | undefined;
  #ticking = false;

  constructor(config: WorkConsumerConfig) {
    this.#c = config;
    this.name = `${config.options.connectionName}-${randomUUID()}`;
    this.#context = {
      config,
      name: this.name,
      streams: Array.from({ length: config.shards }, (_, s) => workStream(config.topic, s)),
      timers: this.#timers,
      closed: () => this.#closed,
    };
    this.#work = config.ordered ? new OrderedWork(this.#context) : new UnorderedWork(this.#context);
  }

  async start(): Promise<void> {
    await ensureGroups(this.#context);
    // close() may have run while the groups were being created: start no heartbeat and no loop then
    // (the cleared TimerSet would refuse the interval anyway).
    if (this.#closed) return;
    if (this.#c.ordered) await this.#tick();
    this.#timers.every(this.#c.options.heartbeatIntervalMs, () => void this.#tick());
    this.#loop = this.#work
      .run()
      .catch((error) =>
        this.#c.logger.error({ err: error, topic: this.#c.topic }, 'redis work consumer stopped'),
      );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timers.clear();
    this.#c.reader.disconnect();
    await this.#loop;
    await this.#work.close();
  }

  /** Heartbeat: membership, rebalance target, lease renewal; for unordered groups, reclaim and keep-alive. */
  async #tick(): Promise<void> {
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      await this.#work.tick();
    } catch (error) {
      if (!this.#closed)
        this.#c.logger.warn({ err: error, topic: this.#c.topic }, 'redis consumer heartbeat failed');
    } finally {
      this.#ticking = false;
    }
  }
}
