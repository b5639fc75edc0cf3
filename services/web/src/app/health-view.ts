/** Node health from /stats.json (connections, messages/s, nodes), polled while the page is visible. */
import { fetchStats } from './api.js';
import { byTestId, h, setText } from './dom.js';
import { errorMessage } from './session.js';
import { type AppState, formatRate, parseHealth } from './state.js';
import type { Store } from './store.js';

const POLL_MS = 5_000;
const POLL_UNAVAILABLE_MS = 30_000;

export function mountHealthView(store: Store<AppState>): void {
  const widget = byTestId('health-widget');
  const connections = byTestId('health-connections');
  const rate = byTestId('health-rate');
  const nodes = byTestId<HTMLUListElement>('health-nodes');
  const status = byTestId('health-status');

  store.subscribe((state, previous) => {
    const health = state.health;
    widget.dataset.status = health.status;
    if (health.status === 'ok') {
      setText(connections, health.data.connections?.toString() ?? '–');
      setText(
        rate,
        health.data.messagesPerSecond === undefined ? '–' : formatRate(health.data.messagesPerSecond),
      );
      if (health !== previous.health || nodes.childElementCount !== health.data.nodes.length) {
        nodes.replaceChildren(
          ...health.data.nodes.map((node) =>
            h(
              'li',
              { 'data-testid': 'health-node' },
              h('span', { className: 'node-id' }, node.id),
              node.detail ? ` ${node.detail}` : '',
            ),
          ),
        );
      }
      setText(status, `Updated ${new Date(health.atMs).toLocaleTimeString()}`);
    } else {
      if (health.status !== 'loading') {
        setText(connections, '–');
        setText(rate, '–');
        nodes.replaceChildren();
      }
      setText(
        status,
        health.status === 'loading'
          ? 'Loading…'
          : health.status === 'unavailable'
            ? 'Stats are not available on this server.'
            : `Stats unavailable: ${health.message}`,
      );
    }
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = async () => {
    clearTimeout(timer);
    let next = POLL_MS;
    try {
      const body = await fetchStats();
      if (body === null) {
        store.update({ health: { status: 'unavailable' } });
        next = POLL_UNAVAILABLE_MS;
      } else {
        store.update({ health: { status: 'ok', data: parseHealth(body), atMs: Date.now() } });
      }
    } catch (error) {
      store.update({ health: { status: 'error', message: errorMessage(error) } });
    }
    if (!document.hidden) timer = setTimeout(() => void poll(), next);
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void poll();
    else clearTimeout(timer);
  });
  void poll();
}
