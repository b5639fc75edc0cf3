/** Join form (name + room), message list, typing indicator and message form. */
import { byTestId, h, setHidden, setText, timeElement } from './dom.js';
import { reconcileKeyed } from './keyed-list.js';
import { errorMessage, type Session } from './session.js';
import {
  type AppState,
  type ChatMessage,
  NAME_PATTERN,
  ROOM_PATTERN,
  typingText,
  typingUsers,
} from './state.js';
import type { Store } from './store.js';

const NAME_KEY = 'switchboard.demo.name';

export function mountChatView(store: Store<AppState>, session: Session): void {
  mountJoinForm(store, session);
  mountMessages(store, session);
  mountMessageForm(store, session);
  mountTyping(store);
}

function readSavedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // private mode: fine
  }
}

function mountJoinForm(store: Store<AppState>, session: Session): void {
  const form = byTestId<HTMLFormElement>('join-form');
  const name = byTestId<HTMLInputElement>('name-input');
  const room = byTestId<HTMLInputElement>('room-input');
  const join = byTestId<HTMLButtonElement>('join-button');
  const signOut = byTestId<HTMLButtonElement>('signout-button');
  const error = byTestId('join-error');
  const suggestions = document.getElementById('room-suggestions')!;
  const currentRoom = byTestId('current-room');

  const params = new URLSearchParams(location.search);
  name.value = params.get('user') ?? readSavedName();
  if (params.get('room')) room.value = params.get('room')!;

  const showError = (message: string | null, field?: HTMLInputElement) => {
    setText(error, message ?? '');
    setHidden(error, message === null);
    for (const input of [name, room]) input.removeAttribute('aria-invalid');
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  };

  const submit = async () => {
    const user = name.value.trim();
    const roomName = room.value.trim();
    if (!NAME_PATTERN.test(user))
      return showError('Pick a name: 1–64 letters, digits, ".", "_" or "-".', name);
    if (!ROOM_PATTERN.test(roomName))
      return showError('Rooms use 1–100 letters, digits, ".", "_" or "-".', room);
    showError(null);
    store.update({ busy: true });
    try {
      if (store.state.user !== user) {
        saveName(user);
        await session.signIn(user);
      }
      await session.joinRoom(roomName);
      byTestId<HTMLInputElement>('message-input').focus();
    } catch (e) {
      showError(errorMessage(e));
    } finally {
      store.update({ busy: false });
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  signOut.addEventListener('click', () => {
    session.signOut();
    name.focus();
  });

  store.subscribe((state, previous) => {
    const signedIn = state.user !== null;
    name.readOnly = signedIn;
    join.disabled = state.busy;
    setText(join, state.busy ? 'Joining…' : signedIn ? 'Join room' : 'Join');
    setHidden(signOut, !signedIn);
    setText(currentRoom, state.room ? `#${state.room}` : '');
    if (state.rooms !== previous.rooms || suggestions.childElementCount !== state.rooms.length) {
      suggestions.replaceChildren(...state.rooms.map((r) => h('option', { value: r })));
    }
  });

  if (params.get('user') && params.get('autojoin') !== '0' && store.state.config) void submit();
}

function renderMessage(message: ChatMessage, own: boolean, session: Session): HTMLLIElement {
  const li = h('li', {
    className: `message${own ? ' own' : ''}`,
    'data-testid': 'message-item',
    'data-message-id': message.id,
    'data-user': message.user,
    'data-status': message.status,
  });
  const meta = h(
    'div',
    { className: 'meta' },
    h('span', { className: 'user', 'data-testid': 'message-user' }, message.user),
    ' ',
    timeElement(message.time),
  );
  if (message.edited) meta.append(' ', h('span', { className: 'edited' }, '(edited)'));
  if (message.status === 'pending') meta.append(' ', h('span', { className: 'status' }, 'sending…'));
  if (message.status === 'failed') {
    const retry = h('button', { type: 'button', className: 'link', 'data-testid': 'message-retry' }, 'Retry');
    retry.addEventListener('click', () => {
      if (message.clientMsgId) void session.retry(message.clientMsgId);
    });
    meta.append(' ', h('span', { className: 'status failed' }, 'not sent'), ' ', retry);
  }
  if (own && message.status === 'sent' && !message.id.startsWith('local:')) {
    const del = h(
      'button',
      {
        type: 'button',
        className: 'link subtle-action',
        'data-testid': 'message-delete',
        'aria-label': `Delete message: ${message.text.slice(0, 40)}`,
      },
      'Delete',
    );
    del.addEventListener('click', () => void session.remove(message.id));
    meta.append(' ', del);
  }
  li.append(meta, h('p', { className: 'text', 'data-testid': 'message-text' }, message.text));
  return li;
}

/** Keyed rendering: unchanged messages keep their nodes, so the live region announces only new ones. */
function mountMessages(store: Store<AppState>, session: Session): void {
  const list = byTestId<HTMLOListElement>('message-list');
  const empty = byTestId('messages-empty');
  const rendered = new Map<string, HTMLLIElement>();
  const shown = new WeakMap<HTMLLIElement, { message: ChatMessage; own: boolean }>();

  store.subscribe((state, previous) => {
    setText(empty, state.room ? 'No messages yet. Say hello!' : 'Join a room to see its messages.');
    setHidden(empty, state.messages.length > 0);
    if (state.messages === previous.messages && rendered.size === state.messages.length) return;

    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    reconcileKeyed<ChatMessage, ChildNode, HTMLLIElement>(
      list,
      state.messages,
      (message) => message.clientMsgId ?? message.id,
      (message, current) => {
        const own = message.user === state.user;
        const was = current && shown.get(current);
        if (current && was && was.message === message && was.own === own) return current;
        const node = renderMessage(message, own, session);
        shown.set(node, { message, own });
        return node;
      },
      rendered,
    );
    if (nearBottom || state.messages.at(-1)?.user === state.user) list.scrollTop = list.scrollHeight;
  });
}

function mountMessageForm(store: Store<AppState>, session: Session): void {
  const form = byTestId<HTMLFormElement>('message-form');
  const input = byTestId<HTMLInputElement>('message-input');
  const send = byTestId<HTMLButtonElement>('send-button');
  const error = byTestId('chat-error');

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    void session.send(text);
  });
  input.addEventListener('input', () => {
    if (input.value.trim()) session.typing();
  });

  store.subscribe((state) => {
    const ready = state.room !== null && state.user !== null;
    input.disabled = !ready;
    send.disabled = !ready;
    input.placeholder = ready ? `Message #${state.room}` : 'Join a room first';
    setText(error, state.chatError ?? '');
    setHidden(error, state.chatError === null);
  });
}

function mountTyping(store: Store<AppState>): void {
  const indicator = byTestId('typing-indicator');
  const render = () => {
    const users = typingUsers(store.state.typing, Date.now());
    setText(indicator, typingText(users));
    indicator.dataset.users = users.join(',');
  };
  store.subscribe(render);
  setInterval(render, 1_000);
}
