/**
 * Publishing with publisher confirms. A publish resolves only after the broker's ack; a nack rejects with
 * BusRejectedError. When the connection is down (or drops before the confirm arrives) the publish waits
 * for the reconnect and is sent again on the new connection, up to `publishTimeoutMs`, then rejects with
 * BusUnavailableError: never dropped silently. A message whose confirm was lost with the connection may
 * therefore reach the broker twice; work delivery is at least once anyway. Deliveries (at most once) are
 * not re-sent once written: a lost confirm rejects with BusUnavailableError instead of risking a duplicate.
 *
 * No `mandatory` flag: a work message for a topic no group consumes yet, or a delivery no node wants,
 * is dropped by the exchange like on any exchange without matching queues (the memory transport does
 * the same), and the broker still confirms it. Returned messages would only add noise.
 */
import type { Options } from 'amqplib';
import { BusRejectedError, BusUnavailableError } from '../errors.js';
import type { ConnectionManager } from './connection-manager.js';
import type { Session } from './session.js';

const NACKED = 'message nacked'; // amqplib's error for a basic.nack

export async function publishConfirmed(
  manager: ConnectionManager,
  what: string,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
  resendAfterLostConfirm = true,
): Promise<void> {
  await manager.run(what, async (session) => {
    const sent = { value: false };
    try {
      await publishOnce(session, what, exchange, routingKey, content, options, sent);
    } catch (error) {
      if (sent.value && !resendAfterLostConfirm && !(error instanceof BusRejectedError)) {
        throw new BusUnavailableError(`${what}: connection lost before the broker confirmed`, {
          cause: error,
        });
      }
      throw error;
    }
  });
}

async function publishOnce(
  session: Session,
  what: string,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
  sent: { value: boolean },
): Promise<void> {
  const channel = await session.confirm();
  await new Promise<void>((resolve, reject) => {
    // publish throws synchronously when the channel is already closed; run() retries that on the next session.
    channel.publish(exchange, routingKey, content, options, (error: unknown) => {
      if (!error) resolve();
      else if (error instanceof Error && error.message === NACKED) {
        reject(new BusRejectedError(`${what}: broker nacked the message`, { cause: error }));
      } else reject(error);
    });
    sent.value = true;
  });
}

/** Copies into a Buffer without copying when the bytes already are one. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
