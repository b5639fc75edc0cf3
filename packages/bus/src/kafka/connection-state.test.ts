import { describe, expect, it } from 'vitest';
import type { TransportEvent } from '../transport.js';
import { ConnectionState } from './connection-state.js';

describe('connection state', () => {
  it('emits one event per transition', () => {
    const events: TransportEvent[] = [];
    const state = new ConnectionState((event) => events.push(event));
    state.up();
    const error = new Error('gone');
    state.down(error);
    state.down(new Error('still gone'));
    state.up();
    state.up();
    expect(events).toEqual([{ type: 'disconnected', error }, { type: 'reconnected' }]);
    expect(state.connected).toBe(true);
  });

  it('is silent after close', () => {
    const events: TransportEvent[] = [];
    const state = new ConnectionState((event) => events.push(event));
    state.close();
    state.down();
    expect(events).toEqual([]);
  });
});
