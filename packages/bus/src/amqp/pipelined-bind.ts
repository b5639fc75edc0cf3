/**
 * Many queue bindings in one round trip. amqplib runs one RPC per channel at a time, so N `bindQueue`
 * calls cost N round trips, one after the other. AMQP lets a client send `queue.bind` with `no-wait` (the
 * broker sends no BindOk) and applies one channel's methods in order: all bindings but the last go out
 * no-wait back to back, the last one is an ordinary RPC, and its BindOk means every binding before it is
 * in place. A no-wait binding the broker refuses closes the channel, which rejects that last RPC.
 *
 * amqplib has no public no-wait bind: this uses its channel's `sendImmediately` (amqplib 0.10, pinned),
 * and only while no RPC of the caller is in flight on the channel the batch ends with.
 */
import { createRequire } from 'node:module';
import type { Channel } from 'amqplib';

const defs = createRequire(import.meta.url)('amqplib/lib/defs.js') as { QueueBind: number };

interface RawChannel {
  sendImmediately(method: number, fields: Record<string, unknown>): void;
}

function hasRawSend(channel: Channel): channel is Channel & RawChannel {
  return typeof (channel as unknown as Partial<RawChannel>).sendImmediately === 'function';
}

export async function bindPipelined(
  channel: Channel,
  queue: string,
  exchange: string,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  const last = keys.length - 1;
  if (!hasRawSend(channel)) {
    for (const key of keys) await channel.bindQueue(queue, exchange, key);
    return;
  }
  for (let i = 0; i < last; i++)
    channel.sendImmediately(defs.QueueBind, {
      ticket: 0,
      queue,
      exchange,
      routingKey: keys[i],
      nowait: true,
      arguments: {},
    });
  await channel.bindQueue(queue, exchange, keys[last]!);
}
