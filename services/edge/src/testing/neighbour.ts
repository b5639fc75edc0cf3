/**
 * The well-behaved neighbour of the adversarial tests: a client subscribed to `ticks` on node 0. After every
 * attack the test calls check(): one more tick is delivered, and the neighbour must hold every tick so far,
 * in order, none missing, with its socket still open — bad input never disturbs another connection.
 */
import { expect } from 'vitest';
import { type Bus, connect, subscribe, type TestClient } from './harness.js';

export class TickingNeighbour {
  #ticks = 0;
  #client: TestClient | undefined;

  constructor(readonly bus: Bus) {}

  async start(): Promise<void> {
    this.#client = (await connect(this.bus.nodes[0]!.url, 'good')).client;
    expect((await subscribe(this.#client, 1, 'ticks')).kind).toBe('subscribed');
  }

  async check(): Promise<void> {
    const client = this.#client!;
    const n = this.#ticks++;
    await this.bus.deliver({ channel: 'ticks', publication: { channel: 'ticks', type: 'tick', offset: n } });
    await client.next((f) => f.publication?.type === 'tick' && Number(f.publication.offset) === n);
    const seen = client.frames
      .filter((f) => f.publication?.type === 'tick')
      .map((f) => Number(f.publication!.offset));
    expect(seen).toEqual([...Array(this.#ticks).keys()]);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }
}
