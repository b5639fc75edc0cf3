/**
 * Prometheus metrics of the history store's bounds (issue 13), read from `store.stats()` at scrape time so
 * the store needs no metrics code of its own:
 *
 * - `switchboard_history_channels` — channels the store tracks (gauge);
 * - `switchboard_history_bytes` — bytes the in-memory store accounts for (gauge; absent for Redis);
 * - `switchboard_history_evictions_total{reason}` — channels this instance evicted, reason `channels`
 *   (HISTORY_MAX_CHANNELS reached) or `bytes` (HISTORY_MAX_TOTAL_BYTES reached).
 *
 * A store that cannot answer (Redis down) leaves the last values: a scrape never fails because of it.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EvictionReason, HistoryStore, HistoryStoreStats } from './history-store.js';

const PREFIX = 'switchboard_history_';
const REASONS: readonly EvictionReason[] = ['channels', 'bytes'];

async function statsOrUndefined(store: HistoryStore): Promise<HistoryStoreStats | undefined> {
  try {
    return await store.stats();
  } catch {
    return undefined;
  }
}

/** A later registration replaces an earlier one of the same name (one store per registry is reported). */
function fresh(registry: Registry, name: string): string {
  if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  return name;
}

export function registerHistoryMetrics(registry: Registry, store: HistoryStore): void {
  const registers = [registry];
  new Gauge({
    name: fresh(registry, `${PREFIX}channels`),
    help: 'Channels the history store tracks (bounded by HISTORY_MAX_CHANNELS)',
    registers,
    async collect() {
      const stats = await statsOrUndefined(store);
      if (stats) this.set(stats.channels);
    },
  });
  new Gauge({
    name: fresh(registry, `${PREFIX}bytes`),
    help: 'Bytes the in-memory history store accounts for (bounded by HISTORY_MAX_TOTAL_BYTES)',
    registers,
    async collect() {
      const stats = await statsOrUndefined(store);
      if (stats?.bytes !== undefined) this.set(stats.bytes);
    },
  });
  const reported: Record<EvictionReason, number> = { channels: 0, bytes: 0 };
  new Counter({
    name: fresh(registry, `${PREFIX}evictions_total`),
    help: 'Channels evicted whole by this history instance, by the bound that was reached',
    labelNames: ['reason'],
    registers,
    async collect() {
      const stats = await statsOrUndefined(store);
      for (const reason of REASONS) {
        const total = stats?.evictions[reason] ?? reported[reason];
        // The store counts; the counter follows it by the difference since the last scrape.
        this.inc({ reason }, Math.max(0, total - reported[reason]));
        reported[reason] = Math.max(reported[reason], total);
      }
    },
  });
}
