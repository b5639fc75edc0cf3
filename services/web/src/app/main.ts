/** Entry point of the demo page (bundled to /app.js): reads /config.json, then mounts the views. */
import { fetchConfig } from './api.js';
import { mountChatView } from './chat-view.js';
import { mountConnectionView } from './connection-view.js';
import { byTestId, setHidden, setText } from './dom.js';
import { mountHealthView } from './health-view.js';
import { mountNotificationsView } from './notifications-view.js';
import { mountOrdersView } from './orders-view.js';
import { mountPresenceView } from './presence-view.js';
import { errorMessage, Session } from './session.js';
import { initialState } from './state.js';
import { Store } from './store.js';

async function start(): Promise<void> {
  const store = new Store(initialState());
  const session = new Session(store);
  mountHealthView(store);
  mountOrdersView(store);
  try {
    store.update({ config: await fetchConfig() });
  } catch (error) {
    const message = byTestId('join-error');
    setText(message, `The page could not load its configuration: ${errorMessage(error)}`);
    setHidden(message, false);
    return;
  }
  mountConnectionView(store, session);
  mountPresenceView(store);
  mountNotificationsView(store, session);
  mountChatView(store, session);
  // For debugging in the console and for browser tests.
  (globalThis as { switchboardDemo?: unknown }).switchboardDemo = { store, session };
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void start());
else void start();
