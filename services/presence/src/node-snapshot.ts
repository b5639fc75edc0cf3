/**
 * A node's lifecycle snapshot (the answer to a re-announce request, after the service found holes in the
 * node's lifecycle stream) put in place of what the store holds for the node. Applied chunk by chunk: each
 * chunk holds whole connections, so each one is registered (with its info) and its presence memberships
 * made exactly the snapshot's — Join for the missing, Leave for the extra. On the last chunk of a complete
 * snapshot (SnapshotProgress.complete: every chunk seen in order) the node's connections that the snapshot
 * does not list are closed, with their Leaves. An incomplete one drops nothing: the node is asked again.
 */
import type { LifecycleEvent } from '@switchboard/protocol';
import type { SnapshotProgress } from '@switchboard/service-kit';
import type { Member, PresenceStore, RemovedConnection } from './presence-store.js';

export interface SnapshotEffects {
  /** Publishes Join/Leave of one member to one channel. */
  readonly publish: (channel: string, body: 'join' | 'leave', member: Member) => Promise<void>;
  readonly publishLeaves: (removed: readonly RemovedConnection[]) => Promise<void>;
}

export async function applySnapshot(
  store: PresenceStore,
  event: LifecycleEvent,
  progress: SnapshotProgress | undefined,
  nowMs: number,
  isPresence: (channel: string) => boolean,
  effects: SnapshotEffects,
): Promise<void> {
  const nodeId = event.nodeId;
  if (!nodeId) return;
  for (const c of event.snapshot?.connections ?? []) {
    if (!c.connectionId) continue;
    const ref = { nodeId, connectionId: c.connectionId, userId: c.userId ?? '' };
    await store.connectionOpened(ref, c.info ?? new Uint8Array(0), nowMs);
    const wanted = new Set((c.channels ?? []).filter(isPresence));
    for (const channel of await store.connectionChannels(c.connectionId)) {
      if (wanted.delete(channel)) continue; // a member already, and still
      const left = await store.leave(c.connectionId, channel);
      if (left) await effects.publish(channel, 'leave', left);
    }
    for (const channel of wanted) {
      const joined = await store.join(ref, channel, nowMs);
      if (joined) await effects.publish(channel, 'join', joined);
    }
  }
  if (!progress?.complete) return;
  const removed: RemovedConnection[] = [];
  for (const connectionId of await store.nodeConnections(nodeId)) {
    if (progress.connectionIds.has(connectionId)) continue;
    const gone = await store.connectionClosed(connectionId);
    if (gone) removed.push(gone);
  }
  await effects.publishLeaves(removed);
}
