/** Pure mapping of an order event to the user notification pushed to the client (JSON payload). */
import type { OrderEvent } from '@switchboard/protocol';

export type OrderNotificationType =
  | 'order.created'
  | 'order.paid'
  | 'order.shipped'
  | 'order.delivered'
  | 'order.cancelled';

export interface OrderNotificationPayload {
  readonly type: OrderNotificationType;
  readonly title: string;
  readonly body: string;
  readonly orderId: string;
}

/** Thrown for an event that carries no kind or misses an id: it cannot become a notification. */
export class BadOrderEventError extends Error {
  override readonly name = 'BadOrderEventError';
}

function money(cents: number | { toString(): string } | null | undefined, currency?: string | null): string {
  const value = Number(cents ?? 0) / 100;
  return `${value.toFixed(2)}${currency ? ` ${currency}` : ''}`;
}

export function orderNotification(event: OrderEvent): OrderNotificationPayload {
  if (!event.eventId) throw new BadOrderEventError('order event has no event_id');
  if (!event.userId) throw new BadOrderEventError('order event has no user_id');
  if (!event.orderId) throw new BadOrderEventError('order event has no order_id');
  const orderId = event.orderId;
  switch (event.kind) {
    case 'created': {
      const c = event.created!;
      const items = c.items === 1 ? '1 item' : `${c.items} items`;
      return {
        type: 'order.created',
        title: 'Order placed',
        body: `Order ${orderId}: ${items}, ${money(c.totalCents, c.currency)}.`,
        orderId,
      };
    }
    case 'paid': {
      const p = event.paid!;
      const method = p.method ? ` by ${p.method}` : '';
      return {
        type: 'order.paid',
        title: 'Payment received',
        body: `Order ${orderId}: ${money(p.amountCents, p.currency)} paid${method}.`,
        orderId,
      };
    }
    case 'shipped': {
      const s = event.shipped!;
      const carrier = s.carrier ? ` with ${s.carrier}` : '';
      const tracking = s.trackingNumber ? ` (tracking ${s.trackingNumber})` : '';
      return {
        type: 'order.shipped',
        title: 'Order shipped',
        body: `Order ${orderId} shipped${carrier}${tracking}.`,
        orderId,
      };
    }
    case 'delivered': {
      const d = event.delivered!;
      const signed = d.signedBy ? `, signed by ${d.signedBy}` : '';
      return {
        type: 'order.delivered',
        title: 'Order delivered',
        body: `Order ${orderId} was delivered${signed}.`,
        orderId,
      };
    }
    case 'cancelled': {
      const reason = event.cancelled!.reason;
      return {
        type: 'order.cancelled',
        title: 'Order cancelled',
        body: `Order ${orderId} was cancelled${reason ? `: ${reason}` : ''}.`,
        orderId,
      };
    }
    default:
      throw new BadOrderEventError('order event has no kind');
  }
}
