/** The people in the current room, one entry per user (with the number of their connections). */
import { byTestId, h, setText } from './dom.js';
import type { AppState } from './state.js';
import type { Store } from './store.js';

export function mountPresenceView(store: Store<AppState>): void {
  const list = byTestId<HTMLUListElement>('presence-list');
  const count = byTestId('presence-count');

  store.subscribe((state, previous) => {
    setText(count, String(state.presence.length));
    count.setAttribute(
      'aria-label',
      `${state.presence.length} ${state.presence.length === 1 ? 'person' : 'people'}`,
    );
    if (state.presence === previous.presence && list.childElementCount === state.presence.length) return;
    list.replaceChildren(
      ...state.presence.map((member) => {
        const you = member.userId === state.user;
        const item = h(
          'li',
          { 'data-testid': 'presence-item', 'data-user': member.userId, className: you ? 'you' : undefined },
          h('span', { className: 'dot', 'aria-hidden': 'true' }),
          member.userId,
        );
        if (you) item.append(' ', h('span', { className: 'subtle' }, '(you)'));
        if (member.connections.length > 1) {
          item.append(' ', h('span', { className: 'subtle' }, `· ${member.connections.length} tabs`));
        }
        return item;
      }),
    );
  });
}
