/** The user's notifications, newest first, with unread state, an unread badge and ack buttons. */
import { byTestId, h, setHidden, setText, timeElement } from './dom.js';
import type { Session } from './session.js';
import { type AppState, type Notice, unreadCount } from './state.js';
import type { Store } from './store.js';

function renderNotice(notice: Notice, session: Session): HTMLLIElement {
  const li = h('li', {
    className: `notice${notice.read ? '' : ' unread'}`,
    'data-testid': 'notification-item',
    'data-notification-id': notice.id,
    'data-type': notice.type,
    'data-unread': String(!notice.read),
  });
  const head = h(
    'div',
    { className: 'notice-head' },
    h('strong', { className: 'notice-title', 'data-testid': 'notification-title' }, notice.title),
    timeElement(notice.timeMs),
  );
  li.append(head);
  if (notice.body) li.append(h('p', { className: 'notice-body' }, notice.body));
  if (!notice.read) {
    li.prepend(h('span', { className: 'visually-hidden' }, 'Unread: '));
    const ack = h(
      'button',
      {
        type: 'button',
        className: 'ack',
        'data-testid': 'notification-ack',
        'aria-label': `Mark read: ${notice.title}`,
      },
      'Mark read',
    );
    ack.addEventListener('click', () => {
      // Keep keyboard focus in the panel once the button disappears.
      const next = li.nextElementSibling?.querySelector<HTMLButtonElement>(
        '[data-testid="notification-ack"]',
      );
      session.ack(notice.id);
      (next ?? byTestId('notification-list')).focus?.();
    });
    li.append(ack);
  }
  return li;
}

export function mountNotificationsView(store: Store<AppState>, session: Session): void {
  const list = byTestId<HTMLUListElement>('notification-list');
  const empty = byTestId('notifications-empty');
  const badge = byTestId('unread-badge');
  const ackAll = byTestId<HTMLButtonElement>('ack-all-button');
  const rendered = new Map<string, { notice: Notice; node: HTMLLIElement }>();
  list.tabIndex = -1;

  ackAll.addEventListener('click', () => session.ackAll());

  store.subscribe((state) => {
    const unread = unreadCount(state.notices);
    setText(badge, String(unread));
    badge.setAttribute('aria-label', `${unread} unread`);
    badge.dataset.count = String(unread);
    setHidden(badge, unread === 0);
    setHidden(ackAll, unread < 2);
    setHidden(empty, state.notices.length > 0);
    document.title = unread > 0 ? `(${unread}) Switchboard demo` : 'Switchboard demo';

    const keep = new Set<string>();
    let cursor: ChildNode | null = list.firstChild;
    for (const notice of state.notices) {
      keep.add(notice.id);
      let entry = rendered.get(notice.id);
      if (!entry || entry.notice !== notice) {
        const node = renderNotice(notice, session);
        if (entry) entry.node.replaceWith(node);
        entry = { notice, node };
        rendered.set(notice.id, entry);
      }
      if (entry.node !== cursor) list.insertBefore(entry.node, cursor);
      cursor = entry.node.nextSibling;
    }
    for (const [id, entry] of rendered) {
      if (!keep.has(id)) {
        entry.node.remove();
        rendered.delete(id);
      }
    }
  });
}
