import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Bus, connect, startBus, subscribe, type TestClient } from './testing/harness.js';

const payload = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());

describe('routing across two edge nodes on one bus', () => {
  let bus: Bus;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    bus = await startBus(2);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await bus.close();
  });

  async function open(node: number, user: string, json = false) {
    const r = await connect(bus.nodes[node]!.url, user, { json });
    clients.push(r.client);
    return r;
  }

  /** Sends a marker to everyone; once a client has it, everything published before it has arrived too. */
  async function barrier(marker: string, ...targets: TestClient[]) {
    await bus.deliver({ all: true, push: { id: marker, type: 'marker' } });
    await Promise.all(targets.map((t) => t.next((f) => f.push?.id === marker)));
  }

  const got = (c: TestClient, type: string) =>
    c.count((f) => f.publication?.type === type || f.push?.type === type);

  it('delivers a channel publication to subscribers on both nodes and nobody else', async () => {
    const a = await open(0, 'alice');
    const b = await open(1, 'bob', true);
    const outsider = await open(1, 'carol');
    expect((await subscribe(a.client, 1, 'news')).kind).toBe('subscribed');
    expect((await subscribe(b.client, 1, 'news')).kind).toBe('subscribed');
    expect((await subscribe(outsider.client, 1, 'sports')).kind).toBe('subscribed');
    await bus.deliver({
      channel: 'news',
      publication: { channel: 'news', type: 'headline', payload: payload('hi') },
    });
    const fa = await a.client.next((f) => f.publication?.type === 'headline');
    const fb = await b.client.next((f) => f.publication?.type === 'headline');
    expect(text(fa.publication!.payload)).toBe('hi');
    expect(text(fb.publication!.payload)).toBe('hi');
    await barrier('m1', a.client, b.client, outsider.client);
    expect(got(outsider.client, 'headline')).toBe(0);
    expect(got(a.client, 'headline')).toBe(1);
  });

  it('stops routing a channel to a node once its last subscriber unsubscribes', async () => {
    const a = await open(0, 'alice');
    await subscribe(a.client, 1, 'news');
    a.client.send({ id: 2, unsubscribe: { channel: 'news' } });
    expect((await a.client.next((f) => f.id === 2)).kind).toBe('unsubscribed');
    await bus.deliver({ channel: 'news', publication: { channel: 'news', type: 'late' } });
    await barrier('m2', a.client);
    expect(got(a.client, 'late')).toBe(0);
  });

  it('delivers a user-targeted push to every connection of that user on every node and no other user', async () => {
    const a1 = await open(0, 'alice');
    const a2 = await open(1, 'alice');
    const a3 = await open(1, 'alice', true);
    const bob = await open(0, 'bob');
    await bus.deliver({ user: 'alice', push: { id: 'p1', type: 'order', payload: payload('shipped') } });
    for (const c of [a1, a2, a3])
      expect(text((await c.client.next((f) => f.push?.type === 'order')).push!.payload)).toBe('shipped');
    await barrier('m3', a1.client, a2.client, a3.client, bob.client);
    expect(got(bob.client, 'order')).toBe(0);
    for (const c of [a1, a2, a3]) expect(got(c.client, 'order')).toBe(1);
  });

  it('delivers a connection-targeted push to exactly that connection', async () => {
    const a1 = await open(0, 'alice');
    const a2 = await open(1, 'alice');
    const other = await open(1, 'bob');
    await bus.deliver({ connection: a2.id, push: { id: 'c1', type: 'direct' } });
    await a2.client.next((f) => f.push?.type === 'direct');
    await barrier('m4', a1.client, a2.client, other.client);
    expect(got(a1.client, 'direct')).toBe(0);
    expect(got(other.client, 'direct')).toBe(0);
    expect(got(a2.client, 'direct')).toBe(1);
  });

  it('honours except_connection for channel and user targets', async () => {
    const a = await open(0, 'alice');
    const b = await open(1, 'bob');
    const b2 = await open(0, 'bob');
    await subscribe(a.client, 1, 'room');
    await subscribe(b.client, 1, 'room');
    await bus.deliver({
      channel: 'room',
      exceptConnection: a.id,
      publication: { channel: 'room', type: 'echo' },
    });
    await bus.deliver({ user: 'bob', exceptConnection: b.id, push: { id: 'x', type: 'user-echo' } });
    await b.client.next((f) => f.publication?.type === 'echo');
    await b2.client.next((f) => f.push?.type === 'user-echo');
    await barrier('m5', a.client, b.client, b2.client);
    expect(got(a.client, 'echo')).toBe(0);
    expect(got(b.client, 'user-echo')).toBe(0);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    const base = bus.nodes[0]!.url.replace('ws://', 'http://').replace('/ws', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await open(0, 'alice');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_edge_connections\{node="n0"\} 1/);
  });
});
