/**
 * Gap detection and re-sync for one consumer group of the lifecycle topic (docs/bus-contract.md,
 * "Lifecycle sequence and re-announce").
 *
 * - Every sequenced message is checked against the node's cursor (lifecycle-sequence.ts): the next one or a
 *   repeat is applied, a stale one skipped, and after a hole, a new incarnation or an unknown node with
 *   seq > 1 the message is applied and the node is out of sync. The cursor moves once the handlers applied
 *   the message (`commit`).
 * - A heartbeat whose last_seq is ahead of the cursor is given one heartbeat interval of grace (heartbeats
 *   follow the node's messages on the same key, so they cannot be overtaken, but a publish the edge retried
 *   can be late): when the next heartbeat finds the cursor still short of what the previous one announced,
 *   the node is out of sync. A heartbeat of another incarnation, or of a node never seen with last_seq > 0,
 *   is a gap at once.
 * - An out-of-sync node is asked to re-announce (Delivery.reannounce on its own route) at most once per
 *   `intervalMs` (its heartbeat's lease when longer), again at its heartbeats while the snapshot does not
 *   come, so a flood of gaps costs the edge one snapshot per lease.
 * - The snapshot answers in chunks with consecutive sequence numbers. They are applied chunk by chunk (each
 *   holds whole connections, so a chunk's upserts are right on their own), and the connection ids seen are
 *   collected here; the chunk flagged `last` comes with `complete` when chunks 0..last of that snapshot
 *   arrived in order, and only then does the handler drop the node's connections the snapshot left out. A
 *   snapshot cut by a lost chunk (or split between two instances of the group) is not complete: nothing is
 *   dropped, and the node is asked again. Chunk 0 makes any gap before it moot: it replaces the picture.
 * State other than the cursors (out of sync, last request, snapshot in progress) is per instance.
 */
import { nodeRoute, type Transport } from '@switchboard/bus';
import { encodeDelivery, type LifecycleEvent } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  classify,
  type GapReason,
  type LifecycleCursor,
  type LifecycleCursorStore,
  MemoryLifecycleCursors,
  type SequenceVerdict,
} from './lifecycle-sequence.js';
import { LifecycleMetrics } from './metrics.js';
import type { ServiceOptions, SnapshotProgress } from './service-types.js';

const NODE_ID = /^[A-Za-z0-9_-]{1,100}$/;
const DEFAULT_RESYNC_INTERVAL_MS = 15_000;

export interface LifecycleResyncOptions {
  readonly group: string;
  readonly transport: Transport;
  readonly cursors: LifecycleCursorStore;
  /** Least time between two re-announce requests to one node (ms). */
  readonly intervalMs: number;
  readonly now: () => number;
  readonly metrics: LifecycleMetrics;
  readonly log: Logger;
}

/** What to do with one lifecycle message. */
export interface SequenceCheck {
  readonly apply: boolean;
  /** The cursor to commit once the handlers applied the message (a sequenced state message). */
  readonly commit?: LifecycleCursor;
  /** On a snapshot chunk: how far the snapshot got (what the handlers get as context.snapshot). */
  readonly snapshot?: SnapshotProgress;
}

/** An unsequenced message (no incarnation: tests, tools, older edges): applied, nothing to commit. */
export const UNCHECKED: SequenceCheck = { apply: true };

/** The re-sync of a service built by defineService: its `lifecycleSequence` options, memory cursors by default. */
export function serviceLifecycleResync(
  options: ServiceOptions,
  registry: Registry,
  log: Logger,
): LifecycleResync {
  const sequence = options.lifecycleSequence ?? {};
  return new LifecycleResync({
    group: options.name,
    transport: options.transport,
    cursors: sequence.cursors ?? new MemoryLifecycleCursors(),
    intervalMs: sequence.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS,
    now: sequence.now ?? Date.now,
    metrics: new LifecycleMetrics(registry, options.name),
    log,
  });
}

interface Assembly {
  readonly id: number;
  next: number;
  readonly seen: Set<string>;
}

export class LifecycleResync {
  readonly #o: LifecycleResyncOptions;
  readonly #outOfSync = new Set<string>();
  readonly #lastRequest = new Map<string, number>();
  /** Per node: the last_seq a heartbeat announced that the cursor had not reached yet. */
  readonly #ahead = new Map<string, number>();
  readonly #leases = new Map<string, number>();
  readonly #snapshots = new Map<string, Assembly>();

  constructor(options: LifecycleResyncOptions) {
    this.#o = options;
  }

  /** Nodes known to be out of sync (for tests and the debug log). */
  outOfSync(nodeId: string): boolean {
    return this.#outOfSync.has(nodeId);
  }

  async check(event: LifecycleEvent): Promise<SequenceCheck> {
    const nodeId = event.nodeId;
    const incarnation = event.incarnation;
    if (!nodeId || !incarnation) return { apply: true }; // unsequenced publisher: nothing to check
    if (event.event === 'heartbeat') {
      await this.#heartbeat(nodeId, incarnation, event);
      return { apply: true };
    }
    const seq = Number(event.seq ?? 0);
    if (seq <= 0) return { apply: true };
    const verdict = classify(await this.#o.cursors.get(nodeId), incarnation, seq);
    if (verdict.kind === 'stale') return { apply: false };
    const commit = { incarnation, seq };
    if (event.event === 'snapshot')
      return { apply: true, commit, snapshot: this.#chunk(nodeId, event, verdict) };
    if (verdict.kind === 'gap') await this.#gap(nodeId, verdict.reason, verdict.missed, seq);
    return { apply: true, commit };
  }

  /**
   * The handlers applied the message: the cursor moves on. Written after the state, not before, so a
   * failover that loses the newest writes loses the cursor with (or after) the state it stands for, and the
   * next message shows the hole; a handler that failed leaves the cursor where it was for the retry.
   */
  async commit(nodeId: string, cursor: LifecycleCursor): Promise<void> {
    await this.#o.cursors.advance(nodeId, cursor);
  }

  /** The handlers applied a complete snapshot of the node: it is in sync again. */
  snapshotApplied(nodeId: string): void {
    this.#snapshots.delete(nodeId);
    this.#outOfSync.delete(nodeId);
    this.#ahead.delete(nodeId);
    this.#o.metrics.applied();
    this.#o.log.info({ nodeId }, 'lifecycle snapshot applied: node in sync again');
  }

  /** The node expired: what this instance knew of it goes, and its cursor. */
  async forget(nodeId: string): Promise<void> {
    for (const map of [this.#lastRequest, this.#ahead, this.#leases, this.#snapshots]) map.delete(nodeId);
    this.#outOfSync.delete(nodeId);
    await this.#o.cursors.forget(nodeId);
  }

  async #heartbeat(nodeId: string, incarnation: string, event: LifecycleEvent): Promise<void> {
    const heartbeat = event.heartbeat;
    const lastSeq = Number(heartbeat?.lastSeq ?? 0);
    if (heartbeat?.leaseMs) this.#leases.set(nodeId, heartbeat.leaseMs);
    const cursors = this.#o.cursors;
    const cursor = await cursors.get(nodeId);
    let gap: GapReason | undefined;
    let missed = 0;
    if (!cursor || cursor.incarnation !== incarnation) {
      // Nothing of this incarnation applied yet: everything up to last_seq is missing (and on a new
      // incarnation, the old one's connections are gone without their close events).
      await cursors.advance(nodeId, { incarnation, seq: lastSeq });
      if (cursor || lastSeq > 0) [gap, missed] = [cursor ? 'incarnation' : 'unknown_node', lastSeq];
    } else if (lastSeq > cursor.seq) {
      const announced = this.#ahead.get(nodeId);
      if (announced !== undefined && announced > cursor.seq) {
        await cursors.advance(nodeId, { incarnation, seq: lastSeq });
        [gap, missed] = ['behind_heartbeat', announced - cursor.seq];
        this.#ahead.delete(nodeId);
      } else this.#ahead.set(nodeId, lastSeq);
    } else this.#ahead.delete(nodeId);
    if (gap) await this.#gap(nodeId, gap, missed, lastSeq);
    else if (this.#outOfSync.has(nodeId)) await this.#request(nodeId, lastSeq); // the snapshot did not come
  }

  #chunk(nodeId: string, event: LifecycleEvent, verdict: SequenceVerdict): SnapshotProgress {
    const snapshot = event.snapshot!;
    const id = Number(snapshot.snapshotId ?? 0);
    const chunk = snapshot.chunk ?? 0;
    const ids = (snapshot.connections ?? []).map((c) => c.connectionId ?? '').filter(Boolean);
    let assembly = this.#snapshots.get(nodeId);
    // The same chunk again: a retry after a handler failed, or a redelivery.
    const retry = assembly?.id === id && chunk === assembly.next - 1;
    if (chunk === 0 && !retry) {
      assembly = { id, next: 1, seen: new Set(ids) };
      this.#snapshots.set(nodeId, assembly);
    } else if (assembly?.id === id && chunk === assembly.next && verdict.kind === 'next') {
      assembly.next++;
      for (const one of ids) assembly.seen.add(one);
    } else if (!retry) {
      // A chunk lost, or the snapshot began on another instance: upsert what it holds, drop nothing.
      this.#snapshots.delete(nodeId);
      this.#outOfSync.add(nodeId);
      this.#o.metrics.gap('snapshot_cut');
      this.#o.log.warn({ nodeId, snapshotId: id, chunk }, 'lifecycle snapshot incomplete: asking again');
      void this.#request(nodeId, Number(event.seq ?? 0));
      return { last: Boolean(snapshot.last), complete: false, connectionIds: new Set(ids) };
    }
    const last = Boolean(snapshot.last);
    return { last, complete: last && assembly !== undefined, connectionIds: assembly?.seen ?? new Set(ids) };
  }

  async #gap(nodeId: string, reason: GapReason, missed: number, seq: number): Promise<void> {
    this.#o.metrics.gap(reason);
    this.#outOfSync.add(nodeId);
    this.#o.log.warn(
      { nodeId, reason, missed, seq },
      'lifecycle events of a node were lost: its state is out of sync until it re-announces',
    );
    await this.#request(nodeId, seq);
  }

  /** Asks the node for a snapshot unless it was asked within the interval. Never throws. */
  async #request(nodeId: string, appliedSeq: number): Promise<void> {
    if (!NODE_ID.test(nodeId)) return;
    const now = this.#o.now();
    const interval = Math.max(this.#o.intervalMs, this.#leases.get(nodeId) ?? 0);
    const last = this.#lastRequest.get(nodeId);
    if (last !== undefined && now - last < interval) return;
    this.#lastRequest.set(nodeId, now);
    const bytes = encodeDelivery({
      node: nodeId,
      reannounce: { nodeId, requestedBy: this.#o.group, appliedSeq },
      publishedAtMs: now,
    });
    try {
      await this.#o.transport.publishDelivery(nodeRoute(nodeId), bytes);
      this.#o.metrics.requested();
    } catch (error) {
      this.#o.log.warn({ err: error, nodeId }, 're-announce request not published; asking again later');
      this.#lastRequest.delete(nodeId);
    }
  }
}
