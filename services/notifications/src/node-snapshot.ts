/**
 * A node's lifecycle snapshot (its answer to a re-announce request, after the service found holes in the
 * node's lifecycle stream) put in place of what the registry holds for the node. Applied chunk by chunk:
 * every listed connection is registered, and one the registry did not know (its connection_opened was
 * lost) is treated as just opened — its user's unacked notifications are pushed to it, each with
 * DELIVERED — since nobody sent them on its connect. On the last chunk of a complete snapshot
 * (SnapshotProgress.complete: every chunk seen in order) the node's connections the snapshot does not list
 * are unregistered. An incomplete one drops nothing: the node is asked again.
 */
import type { LifecycleEvent } from '@switchboard/protocol';
import type { SnapshotProgress } from '@switchboard/service-kit';
import type { ConnectionRef, ConnectionRegistry } from './connection-registry.js';

export async function applySnapshot(
  registry: ConnectionRegistry,
  event: LifecycleEvent,
  progress: SnapshotProgress | undefined,
  nowMs: number,
  /** What a connection_opened does after registering: the unacked inbox to the new connection. */
  opened: (ref: ConnectionRef) => Promise<void>,
): Promise<void> {
  const nodeId = event.nodeId;
  if (!nodeId) return;
  const known = new Set(await registry.nodeConnections(nodeId));
  for (const c of event.snapshot?.connections ?? []) {
    if (!c.connectionId || !c.userId) continue;
    const ref = { nodeId, connectionId: c.connectionId, userId: c.userId };
    await registry.opened(ref, nowMs);
    if (!known.has(c.connectionId)) await opened(ref);
  }
  if (!progress?.complete) return;
  for (const connectionId of await registry.nodeConnections(nodeId))
    if (!progress.connectionIds.has(connectionId))
      await registry.closed({ nodeId, connectionId, userId: '' });
}
