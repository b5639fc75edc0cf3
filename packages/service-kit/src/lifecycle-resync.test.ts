import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { type Delivery, decodeDelivery, type ILifecycleEvent, switchboard } from '@switchboard/protocol';
import { silentLogger } from '@switchboard/runtime';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LifecycleResync } from './lifecycle-resync.js';
import { classify, MemoryLifecycleCursors } from './lifecycle-sequence.js';
import { LifecycleMetrics } from './metrics.js';

const event = (e: ILifecycleEvent) =>
  switchboard.v1.LifecycleEvent.fromObject(e) as switchboard.v1.LifecycleEvent;

describe('classify', () => {
  it('tells next, repeat, stale and the kinds of gap apart', () => {
    const at = { incarnation: 'a', seq: 5 };
    expect(classify(at, 'a', 6)).toEqual({ kind: 'next' });
    expect(classify(at, 'a', 5)).toEqual({ kind: 'repeat' });
    expect(classify(at, 'a', 4)).toEqual({ kind: 'stale' });
    expect(classify(at, 'a', 9)).toEqual({ kind: 'gap', reason: 'hole', missed: 3 });
    expect(classify(at, 'b', 1)).toEqual({ kind: 'gap', reason: 'incarnation', missed: 0 });
    expect(classify(undefined, 'a', 1)).toEqual({ kind: 'next' });
    expect(classify(undefined, 'a', 7)).toEqual({ kind: 'gap', reason: 'unknown_node', missed: 6 });
  });
});

describe('LifecycleResync', () => {
  let clock: number;
  let broker: MemoryBroker;
  let transport: MemoryTransport;
  let registry: Registry;
  let resync: LifecycleResync;
  let cursors: MemoryLifecycleCursors;
  let requests: Delivery[];
  let closeInbox: () => Promise<void>;

  beforeEach(async () => {
    clock = 1_000;
    broker = new MemoryBroker();
    transport = new MemoryTransport({ broker });
    registry = new Registry();
    cursors = new MemoryLifecycleCursors();
    resync = new LifecycleResync({
      group: 'presence',
      transport,
      cursors,
      intervalMs: 10_000,
      now: () => clock,
      metrics: new LifecycleMetrics(registry, 'presence'),
      log: silentLogger(),
    });
    requests = [];
    const inbox = await transport.openNode('edge-1', (bytes) => requests.push(decodeDelivery(bytes)));
    closeInbox = () => inbox.close();
  });

  afterEach(async () => {
    await closeInbox();
    await transport.close();
  });

  const msg = (seq: number, incarnation = 'i1') =>
    event({ nodeId: 'edge-1', incarnation, seq, connectionOpened: { connectionId: `edge-1.c${seq}` } });
  const beat = (lastSeq: number, incarnation = 'i1') =>
    event({ nodeId: 'edge-1', incarnation, heartbeat: { connections: 0, leaseMs: 3_000, lastSeq } });
  const chunk = (seq: number, snapshotId: number, index: number, last: boolean, ids: string[]) =>
    event({
      nodeId: 'edge-1',
      incarnation: 'i1',
      seq,
      snapshot: {
        snapshotId,
        chunk: index,
        last,
        connections: ids.map((connectionId) => ({ connectionId })),
      },
    });
  /** As the service does: check, (apply,) commit. */
  const handle = async (e: switchboard.v1.LifecycleEvent) => {
    const result = await resync.check(e);
    if (result.commit) await resync.commit(e.nodeId, result.commit);
    return result;
  };
  const counter = async (name: string, labels: Record<string, string>) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return value?.value ?? 0;
  };

  it('applies an unbroken stream without asking anything, and skips a stale redelivery', async () => {
    for (const seq of [1, 2, 3]) expect((await handle(msg(seq))).apply).toBe(true);
    expect((await handle(msg(3))).apply).toBe(true); // a retry of the same message
    expect(await handle(msg(2))).toEqual({ apply: false });
    await handle(beat(3));
    expect(resync.outOfSync('edge-1')).toBe(false);
    expect(requests).toEqual([]);
  });

  it('a hole marks the node out of sync and asks it to re-announce, once per interval', async () => {
    await handle(msg(1));
    expect((await handle(msg(5))).apply).toBe(true);
    expect(resync.outOfSync('edge-1')).toBe(true);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(requests[0]?.body).toBe('reannounce');
    expect(requests[0]?.reannounce).toMatchObject({
      nodeId: 'edge-1',
      requestedBy: 'presence',
      appliedSeq: 5,
    });
    // A flood of holes within the interval: no more requests.
    for (const seq of [9, 20, 40]) await handle(msg(seq));
    await handle(beat(40));
    expect(requests).toHaveLength(1);
    expect(await counter('switchboard_service_lifecycle_gaps_total', { reason: 'hole' })).toBe(4);
    // The snapshot does not come: the next heartbeat after the interval asks again.
    clock += 10_000;
    await handle(beat(40));
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    expect(await counter('switchboard_service_lifecycle_resyncs_total', { stage: 'requested' })).toBe(2);
  });

  it('a heartbeat ahead of the cursor gets one interval of grace, then is a gap', async () => {
    await handle(msg(1));
    await handle(beat(2)); // message 2 may still be on its way
    expect(resync.outOfSync('edge-1')).toBe(false);
    await handle(msg(2));
    await handle(beat(3));
    expect(resync.outOfSync('edge-1')).toBe(false);
    await handle(beat(3)); // message 3 never came
    expect(resync.outOfSync('edge-1')).toBe(true);
    expect(await counter('switchboard_service_lifecycle_gaps_total', { reason: 'behind_heartbeat' })).toBe(1);
  });

  it('a new incarnation, or a node first seen past seq 1, is a gap at once', async () => {
    await handle(beat(0));
    expect(resync.outOfSync('edge-1')).toBe(false);
    await handle(beat(0, 'i2'));
    expect(resync.outOfSync('edge-1')).toBe(true);
    const other = new MemoryLifecycleCursors();
    expect(classify(await other.advance('edge-1', { incarnation: 'i1', seq: 30 }), 'i1', 30).kind).toBe(
      'gap',
    );
    expect(await counter('switchboard_service_lifecycle_gaps_total', { reason: 'incarnation' })).toBe(1);
  });

  it('a snapshot in order is complete on its last chunk and brings the node back in sync', async () => {
    await handle(msg(1));
    await handle(msg(4));
    expect(resync.outOfSync('edge-1')).toBe(true);
    expect((await handle(chunk(7, 7, 0, false, ['a', 'b']))).snapshot).toEqual({
      last: false,
      complete: false,
      connectionIds: new Set(['a', 'b']),
    });
    const end = await handle(chunk(8, 7, 1, true, ['c']));
    expect(end.snapshot).toEqual({ last: true, complete: true, connectionIds: new Set(['a', 'b', 'c']) });
    resync.snapshotApplied('edge-1');
    expect(resync.outOfSync('edge-1')).toBe(false);
    expect(await counter('switchboard_service_lifecycle_resyncs_total', { stage: 'applied' })).toBe(1);
  });

  it('a snapshot with a lost chunk is not complete and the node is asked again', async () => {
    await handle(msg(1));
    await handle(chunk(2, 2, 0, false, ['a']));
    const end = await handle(chunk(4, 2, 2, true, ['c'])); // chunk 1 (seq 3) lost
    expect(end.snapshot?.complete).toBe(false);
    expect(resync.outOfSync('edge-1')).toBe(true);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
  });

  it('moves the cursor only on commit: a message whose handlers failed is the next one again', async () => {
    await handle(msg(1));
    expect((await resync.check(msg(2))).commit).toEqual({ incarnation: 'i1', seq: 2 });
    expect(await cursors.get('edge-1')).toEqual({ incarnation: 'i1', seq: 1 }); // not applied yet
    await handle(msg(2)); // the retry
    await handle(msg(3));
    expect(resync.outOfSync('edge-1')).toBe(false);
    expect(await cursors.get('edge-1')).toEqual({ incarnation: 'i1', seq: 3 });
  });

  it('forget drops the cursor: the node, back with its old sequence, is re-synced', async () => {
    await handle(msg(1));
    await resync.forget('edge-1');
    await handle(msg(2));
    expect(resync.outOfSync('edge-1')).toBe(true);
  });
});
