/**
 * Publishing with publisher confirms. A publish resolves only after the broker's ack; a nack is written
 * again until the publish timeout, then rejects with BusRejectedError. Every publish of a transport goes
 * through its one ConfirmQueue (confirm-queue.ts): call order is kept, also across reconnects; while the
 * connection is down a publish waits for the reconnect up to `publishTimeoutMs`, then rejects with
 * BusUnavailableError and is never written afterwards. A message whose confirm was lost with the connection
 * is written again on the next one (at least once), unless `resendAfterLostConfirm` is false: then it
 * rejects with BusUnavailableError instead of risking a duplicate.
 *
 * No `mandatory` flag by default: a work message for a topic no group consumes yet, or a delivery no node
 * wants, is dropped by the exchange like on any exchange without matching queues (the memory transport
 * does the same), and the broker still confirms it. Only `untilRoutable` publishes (deliveries to one node,
 * whose inbox is missing just while it is declared again) are mandatory: a returned one is written again in
 * the background for a few seconds (confirm-queue.ts).
 */
import type { Options } from 'amqplib';
import { ConfirmQueue } from './confirm-queue.js';
import type { ConnectionManager } from './connection-manager.js';

const queues = new WeakMap<ConnectionManager, ConfirmQueue>();

export function publishConfirmed(
  manager: ConnectionManager,
  what: string,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
  resendAfterLostConfirm = true,
  untilRoutable = false,
): Promise<void> {
  let queue = queues.get(manager);
  if (!queue) {
    queue = new ConfirmQueue(manager, manager.publishTimeoutMs);
    queues.set(manager, queue);
  }
  return queue.publish({
    what,
    exchange,
    routingKey,
    content,
    options,
    resend: resendAfterLostConfirm,
    untilRoutable,
  });
}

/** Copies into a Buffer without copying when the bytes already are one. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
