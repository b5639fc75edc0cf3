/** Connection pill, reconnect banner (while not connected) and the "recovered N missed messages" note. */
import { byTestId, setHidden, setText } from './dom.js';
import type { Session } from './session.js';
import type { AppState } from './state.js';
import type { Store } from './store.js';

const NOTE_VISIBLE_MS = 15_000;

export function mountConnectionView(store: Store<AppState>, session: Session): void {
  const pill = byTestId('connection-state');
  const banner = byTestId('reconnect-banner');
  const bannerText = banner.querySelector<HTMLElement>('.banner-text')!;
  const retry = byTestId<HTMLButtonElement>('reconnect-button');
  const note = byTestId('recovered-note');
  let noteTimer: ReturnType<typeof setTimeout> | undefined;

  retry.addEventListener('click', () => session.reconnect());

  store.subscribe((state, previous) => {
    pill.dataset.state = state.connection;
    setText(
      pill,
      state.connection === 'idle'
        ? 'Not signed in'
        : state.connection === 'connected'
          ? `Connected as ${state.user}`
          : state.connection === 'connecting'
            ? 'Connecting…'
            : 'Disconnected',
    );

    const showBanner = state.user !== null && state.connection !== 'connected' && state.connection !== 'idle';
    setHidden(banner, !showBanner);
    banner.dataset.state = state.connection;
    setText(
      bannerText,
      !showBanner
        ? ''
        : state.stopped
          ? `Disconnected (${state.stopped}).`
          : 'Connection lost. Reconnecting… Messages you missed will be recovered.',
    );
    setHidden(retry, !(showBanner && state.stopped));

    if (state.recovery !== previous.recovery && state.recovery) {
      const { count, gap } = state.recovery;
      setText(
        note,
        gap
          ? 'Back online. Some messages could not be replayed; the room history was reloaded.'
          : `Back online: recovered ${count} missed message${count === 1 ? '' : 's'}.`,
      );
      note.dataset.count = String(count);
      setHidden(note, false);
      clearTimeout(noteTimer);
      noteTimer = setTimeout(() => setHidden(note, true), NOTE_VISIBLE_MS);
    }
    if (!state.recovery) setHidden(note, true);
  });
}
