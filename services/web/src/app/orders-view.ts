/** "Simulate an order" form: posts an order event to /api/orders, as an order system would. */
import { postOrder } from './api.js';
import { byTestId, setText } from './dom.js';
import { errorMessage } from './session.js';
import { type AppState, NAME_PATTERN, ORDER_KINDS, type OrderKind } from './state.js';
import type { Store } from './store.js';

const NEXT_KIND: Record<OrderKind, OrderKind> = {
  created: 'paid',
  paid: 'shipped',
  shipped: 'delivered',
  delivered: 'created',
  cancelled: 'created',
};

function newOrderId(): string {
  return `A-${Math.floor(1000 + Math.random() * 9000)}`;
}

export function mountOrdersView(store: Store<AppState>): void {
  const form = byTestId<HTMLFormElement>('order-form');
  const user = byTestId<HTMLInputElement>('order-user-input');
  const orderId = byTestId<HTMLInputElement>('order-id-input');
  const kind = byTestId<HTMLSelectElement>('order-kind-select');
  const apiKey = byTestId<HTMLInputElement>('order-key-input');
  const submit = byTestId<HTMLButtonElement>('order-submit');
  const result = byTestId('order-result');
  orderId.value = newOrderId();

  const report = (text: string, state: 'ok' | 'error' | 'busy') => {
    setText(result, text);
    result.dataset.state = state;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const order = { userId: user.value.trim(), orderId: orderId.value.trim(), kind: kind.value as OrderKind };
    if (!NAME_PATTERN.test(order.userId)) {
      user.setAttribute('aria-invalid', 'true');
      user.focus();
      return report('Enter the user who should be notified.', 'error');
    }
    if (!order.orderId) {
      orderId.setAttribute('aria-invalid', 'true');
      orderId.focus();
      return report('Enter an order id.', 'error');
    }
    if (!ORDER_KINDS.includes(order.kind)) return report('Pick an event.', 'error');
    user.removeAttribute('aria-invalid');
    orderId.removeAttribute('aria-invalid');
    submit.disabled = true;
    report('Sending…', 'busy');
    try {
      report(await postOrder(order, apiKey.value.trim()), 'ok');
      // Walk the order through its life cycle on the next click; start a new order after the end.
      const next = NEXT_KIND[order.kind];
      kind.value = next;
      if (next === 'created') orderId.value = newOrderId();
    } catch (error) {
      report(`Could not send: ${errorMessage(error)}`, 'error');
    } finally {
      submit.disabled = false;
    }
  });

  // Default the recipient to the signed-in user, unless the user typed someone else.
  let lastUser: string | null = null;
  store.subscribe((state) => {
    if (state.user !== lastUser) {
      if (!user.value || user.value === lastUser) user.value = state.user ?? '';
      lastUser = state.user;
    }
  });
}
