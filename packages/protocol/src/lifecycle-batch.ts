/**
 * An edge coalesces the lifecycle events of one turn into one message (LifecycleEvent.batch, see
 * services/edge/src/lifecycle.ts). Handlers see single events: a batch is expanded here, in order, each
 * inner event given the node id of the message that carried it.
 */
import type { LifecycleEvent } from './codec.js';

/** The events a lifecycle message carries: itself, or a batch's events in order. */
export function expandLifecycle(event: LifecycleEvent): LifecycleEvent[] {
  if (event.event !== 'batch') return [event];
  // Decoded nested messages are LifecycleEvent instances already (protobufjs decodes them as such).
  const inner = (event.batch?.events ?? []) as LifecycleEvent[];
  return inner.map((one) => {
    if (!one.nodeId) one.nodeId = event.nodeId;
    if (!one.timeMs) one.timeMs = event.timeMs;
    return one;
  });
}
