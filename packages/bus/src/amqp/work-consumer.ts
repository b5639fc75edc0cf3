/**
 * One consumeWork() registration: consumers on the group's queues, manual ack after the handler resolves.
 * The connection manager attaches it to every new connection and it closes once. The work is split by job:
 *
 * - unordered-work.ts: an unordered group's one channel on the group queue;
 * - ordered-work.ts: an ordered group's shard queues, shared out between the group's live instances
 *   (membership-channel.ts), each owned shard on a channel of its own, handed over without breaking order;
 * - work-delivery.ts: each delivered message's handler run, in-process retries, dead-lettering and ack.
 */
import { randomUUID } from 'node:crypto';
import type { Closable, WorkConsumerOptions, WorkHandler } from '../transport.js';
import type { ConnectionManager, SessionResource } from './connection-manager.js';
import type { ResolvedOptions } from './options.js';
import { OrderedWork } from './ordered-work.js';
import type { Session } from './session.js';
import { UnorderedWork } from './unordered-work.js';
import { WorkDelivery } from './work-delivery.js';

export const DEFAULT_PREFETCH = 16;
export const DEFAULT_MAX_ATTEMPTS = 5;

export class WorkConsumer implements SessionResource, Closable {
  /** This instance's id in the group's membership (ordered groups). */
  readonly member = randomUUID();
  readonly #manager: ConnectionManager;
  readonly #work: OrderedWork | UnorderedWork;
  #closed = false;

  constructor(
    manager: ConnectionManager,
    options: ResolvedOptions,
    topic: string,
    consumer: WorkConsumerOptions,
    handler: WorkHandler,
  ) {
    this.#manager = manager;
    const ordered = consumer.ordered ?? true;
    const closed = () => this.#closed;
    const delivery = new WorkDelivery({
      manager,
      options,
      topic,
      group: consumer.group,
      ordered,
      maxAttempts: consumer.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      handler,
      closed,
    });
    const work = {
      options,
      topic,
      group: consumer.group,
      prefetch: consumer.prefetch ?? DEFAULT_PREFETCH,
      delivery,
      closed,
    };
    this.#work = ordered ? new OrderedWork(work, this.member) : new UnorderedWork(work);
  }

  /** The shards this instance currently consumes (ordered groups); for tests and metrics. */
  get shards(): number[] {
    return this.#work.shards;
  }

  attach(session: Session): Promise<void> {
    return this.#work.attach(session);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#manager.unregister(this);
    await this.#work.close();
  }
}
