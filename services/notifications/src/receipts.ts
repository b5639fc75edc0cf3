/** Delivery receipts on the `receipts` work topic (key = order id, so one order's receipts stay in order). */
import type { Transport } from '@switchboard/bus';
import { encodeDeliveryReceipt, ReceiptStatus } from '@switchboard/protocol';
import type { Notification } from './inbox-store.js';

export const RECEIPTS_TOPIC = 'receipts';

export type ReceiptStatusName = 'STORED' | 'DELIVERED' | 'ACKED' | 'EXPIRED';

export class ReceiptPublisher {
  readonly #transport: Transport;
  readonly #now: () => number;

  constructor(transport: Transport, now: () => number) {
    this.#transport = transport;
    this.#now = now;
  }

  /** Resolves once the broker has accepted the receipt. */
  async publish(notification: Notification, status: ReceiptStatusName, connectionId = ''): Promise<void> {
    const bytes = encodeDeliveryReceipt({
      notificationId: notification.id,
      eventId: notification.eventId,
      orderId: notification.orderId,
      userId: notification.userId,
      status: ReceiptStatus[status],
      connectionId,
      timeMs: this.#now(),
    });
    await this.#transport.publishWork(RECEIPTS_TOPIC, notification.orderId || notification.userId, bytes);
  }
}
