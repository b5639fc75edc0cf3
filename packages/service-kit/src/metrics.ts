/**
 * Prometheus metrics of a service. Every series carries a `service` label, and metrics already in the
 * registry are reused, so several services (the embedded all-in-one) can share one registry.
 *
 * The `type` label takes only registered message types (plus `_unknown`, `_malformed` and
 * `lifecycle.<event>`), so a client sending random types cannot blow up the series count.
 *
 * The registry also gets Node's default metrics (event-loop lag, heap, GC; `@switchboard/metrics`).
 */
import { collectProcessMetrics } from '@switchboard/metrics';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type Outcome =
  | 'ok'
  | 'error'
  | 'dead_lettered'
  | 'unknown_type'
  | 'malformed'
  | 'bad_payload'
  | 'not_callable'
  | 'stale';

const PREFIX = 'switchboard_service_';

export class ServiceMetrics {
  readonly handled: Counter<'service' | 'type' | 'outcome'>;
  readonly duration: Histogram<'service' | 'type'>;
  readonly errors: Counter<'service' | 'kind'>;
  readonly inFlight: Gauge<'service'>;
  readonly #service: string;

  constructor(registry: Registry, service: string) {
    this.#service = service;
    collectProcessMetrics(registry);
    const registers = [registry];
    this.handled = reuse(
      registry,
      `${PREFIX}messages_total`,
      (name) =>
        new Counter({
          name,
          help: 'Inbound and lifecycle messages handled, by type and outcome',
          labelNames: ['service', 'type', 'outcome'],
          registers,
        }),
    );
    this.duration = reuse(
      registry,
      `${PREFIX}handler_duration_seconds`,
      (name) =>
        new Histogram({
          name,
          help: 'Handler run time per attempt, by type',
          labelNames: ['service', 'type'],
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    );
    this.errors = reuse(
      registry,
      `${PREFIX}errors_total`,
      (name) =>
        new Counter({
          name,
          help: 'Errors: handler failures, malformed messages, failed replies',
          labelNames: ['service', 'kind'],
          registers,
        }),
    );
    this.inFlight = reuse(
      registry,
      `${PREFIX}in_flight`,
      (name) => new Gauge({ name, help: 'Handlers running now', labelNames: ['service'], registers }),
    );
  }

  outcome(type: string, outcome: Outcome): void {
    this.handled.inc({ service: this.#service, type, outcome });
  }

  error(kind: 'handler' | 'malformed' | 'reply' | 'bad_payload'): void {
    this.errors.inc({ service: this.#service, kind });
  }

  /** Starts timing one handler attempt; call the result when it ends. */
  time(type: string): () => void {
    this.inFlight.inc({ service: this.#service });
    const end = this.duration.startTimer({ service: this.#service, type });
    return () => {
      end();
      this.inFlight.dec({ service: this.#service });
    };
  }
}

/**
 * Lifecycle stream health (lifecycle-resync.ts): holes found in nodes' lifecycle streams, by why they were
 * noticed, and the re-announce requests sent and the snapshots applied in answer.
 */
export class LifecycleMetrics {
  readonly gaps: Counter<'service' | 'reason'>;
  readonly resyncs: Counter<'service' | 'stage'>;
  readonly #service: string;

  constructor(registry: Registry, service: string) {
    this.#service = service;
    const registers = [registry];
    this.gaps = reuse(
      registry,
      `${PREFIX}lifecycle_gaps_total`,
      (name) =>
        new Counter({
          name,
          help: 'Lifecycle events found missing, by how (hole, incarnation, unknown_node, behind_heartbeat, snapshot_cut)',
          labelNames: ['service', 'reason'],
          registers,
        }),
    );
    this.resyncs = reuse(
      registry,
      `${PREFIX}lifecycle_resyncs_total`,
      (name) =>
        new Counter({
          name,
          help: 'Node re-syncs: re-announce requests sent (requested) and complete snapshots applied (applied)',
          labelNames: ['service', 'stage'],
          registers,
        }),
    );
  }

  gap(reason: string): void {
    this.gaps.inc({ service: this.#service, reason });
  }

  requested(): void {
    this.resyncs.inc({ service: this.#service, stage: 'requested' });
  }

  applied(): void {
    this.resyncs.inc({ service: this.#service, stage: 'applied' });
  }
}

function reuse<M>(registry: Registry, name: string, create: (name: string) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(name);
}
