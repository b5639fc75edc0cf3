import { afterEach, beforeEach } from 'vitest';
import { Client, type ClientOptions } from '../client.js';
import type { WebSocketConstructor } from '../transport.js';
import { FakeEdge, WebSocket } from './fake-edge.js';
import { nextEvent } from './wait.js';

/** A fresh fake edge per test, and clients against it that are disconnected after the test. */
export function useEdge() {
  const state = { edge: undefined as unknown as FakeEdge, clients: [] as Client[] };
  beforeEach(async () => {
    state.edge = await FakeEdge.start();
  });
  afterEach(async () => {
    for (const client of state.clients.splice(0)) client.disconnect();
    await state.edge.close();
  });
  return {
    get edge(): FakeEdge {
      return state.edge;
    },
    newClient(options: ClientOptions = {}): Client {
      const client = new Client(state.edge.url, {
        token: 't1',
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        minReconnectDelayMs: 5,
        maxReconnectDelayMs: 20,
        timeoutMs: 2_000,
        ...options,
      });
      state.clients.push(client);
      return client;
    },
  };
}

export async function connected(client: Client) {
  const event = nextEvent(client, 'connected');
  client.connect();
  return event;
}

export const bytes = (text: string) => new TextEncoder().encode(text);
