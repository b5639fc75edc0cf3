import { switchboard } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { BadOrderEventError, orderNotification } from './order-notifications.js';

const v1 = switchboard.v1;
const base = { eventId: 'e1', orderId: 'o1', userId: 'u1', timeMs: 1 };

describe('orderNotification', () => {
  it.each([
    [
      { created: { totalCents: 1999, currency: 'EUR', items: 2 } },
      'order.created',
      'Order o1: 2 items, 19.99 EUR.',
    ],
    [
      { paid: { amountCents: 500, currency: 'USD', method: 'card' } },
      'order.paid',
      'Order o1: 5.00 USD paid by card.',
    ],
    [
      { shipped: { carrier: 'DHL', trackingNumber: 'T1' } },
      'order.shipped',
      'Order o1 shipped with DHL (tracking T1).',
    ],
    [{ delivered: { signedBy: 'Ann' } }, 'order.delivered', 'Order o1 was delivered, signed by Ann.'],
    [{ cancelled: { reason: 'out of stock' } }, 'order.cancelled', 'Order o1 was cancelled: out of stock.'],
  ])('maps %o', (kind, type, body) => {
    const event = v1.OrderEvent.decode(v1.OrderEvent.encode({ ...base, ...kind }).finish());
    expect(orderNotification(event)).toMatchObject({ type, body, orderId: 'o1' });
  });

  it('refuses an event without kind or ids', () => {
    expect(() => orderNotification(v1.OrderEvent.create(base))).toThrow(BadOrderEventError);
    const noUser = v1.OrderEvent.create({ ...base, userId: '', cancelled: {} });
    expect(() => orderNotification(noUser)).toThrow(/user_id/);
  });
});
