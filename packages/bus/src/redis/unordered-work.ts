/**
 * An instance of an unordered group (`ordered: false`): every instance reads every shard with XREADGROUP
 * `>` (competing consumers), handles up to `prefetch` entries at once, and every visibility timeout
 * XAUTOCLAIMs entries other instances left pending longer than that (a dead consumer). Entries still being
 * handled are kept fresh with XCLAIM JUSTID, so a slow handler is not taken over.
 */
import { readGroup } from './group-reader.js';
import { parseEntries, parsePending } from './redis-streams.js';
import type { Queued, WorkContext } from './work-context.js';
import { deliver } from './work-delivery.js';

export class UnorderedWork {
  readonly #context: WorkContext;
  /** `<stream> <id>` -> the entry being handled, and when it was last claimed. */
  readonly #inFlight = new Map<string, { stream: string; id: string; since: number }>();
  #lastReclaim = Date.now();

  constructor(context: WorkContext) {
    this.#context = context;
  }

  /** The read loop, until close: new entries of every shard, as many as there is room for. */
  async run(): Promise<void> {
    const { prefetch } = this.#context.config;
    while (!this.#context.closed()) {
      const free = prefetch - this.#inFlight.size;
      if (free <= 0) {
        await this.#context.timers.sleep(10);
        continue;
      }
      const read = await readGroup(this.#context, this.#context.streams, free);
      for (const [stream, entries] of read) {
        for (const entry of entries) this.#start(stream, { entry, attempt: 1, redelivered: false });
      }
    }
  }

  /** The heartbeat: keep-alive of the entries in flight and, every half visibility timeout, reclaim. */
  async tick(): Promise<void> {
    const { redis, group, options, prefetch } = this.#context.config;
    const { name, closed } = this.#context;
    // Keep entries we are still handling from looking abandoned.
    const stale = [...this.#inFlight.values()].filter(
      (f) => Date.now() - f.since > options.visibilityTimeoutMs / 3,
    );
    for (const f of stale) {
      await redis.call('XCLAIM', f.stream, group, name, 0, f.id, 'JUSTID');
      f.since = Date.now();
    }
    if (Date.now() - this.#lastReclaim < options.visibilityTimeoutMs / 2) return;
    this.#lastReclaim = Date.now();
    for (const stream of this.#context.streams) {
      const free = prefetch - this.#inFlight.size;
      if (free <= 0 || closed()) return;
      const raw = (await redis.callBuffer(
        'XAUTOCLAIM',
        stream,
        group,
        name,
        options.visibilityTimeoutMs,
        '0-0',
        'COUNT',
        free,
      )) as unknown[];
      const entries = parseEntries(raw?.[1]);
      for (const entry of entries) {
        const [info] = parsePending(await redis.call('XPENDING', stream, group, entry.id, entry.id, 1));
        this.#start(stream, { entry, attempt: info?.deliveries ?? 2, redelivered: true });
      }
    }
  }

  /** Nothing to give back at close: entries in flight stay pending, and other instances reclaim them. */
  async close(): Promise<void> {}

  #start(stream: string, item: Queued): void {
    const id = `${stream} ${item.entry.id}`;
    if (this.#context.closed() || this.#inFlight.has(id)) return;
    this.#inFlight.set(id, { stream, id: item.entry.id, since: Date.now() });
    void deliver(this.#context, stream, item, this.#context.closed).finally(() => this.#inFlight.delete(id));
  }
}
