import { decodeLifecycleEvent, type LifecycleEvent, UnsubscribeCode } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Bus,
  connect,
  standInHistory,
  startBus,
  subscribe,
  type TestClient,
} from './testing/harness.js';

describe('re-sync after the bus reconnects', () => {
  let bus: Bus;
  const clients: TestClient[] = [];
  let recovers: { channel: string; since: number | null }[];
  let events: LifecycleEvent[];

  beforeEach(async () => {
    bus = await startBus(1, { requestTimeoutMs: 2_000 });
    recovers = [];
    events = [];
    await standInHistory(bus, 9, (sub) => {
      recovers.push({ channel: sub.channel, since: sub.since ? Number(sub.since.offset) : null });
    });
    await bus.publisher.consumeWork('lifecycle', { group: 'presence' }, async (message) => {
      events.push(decodeLifecycleEvent(message.bytes));
    });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await bus.close();
  });

  async function open(user: string) {
    const r = await connect(bus.nodes[0]!.url, user);
    clients.push(r.client);
    return r;
  }

  const opened = (id: string | null | undefined) =>
    events.filter((e) => e.connectionOpened?.connectionId === id).length;

  it('tells durable subscribers to resubscribe (2500) and announces every connection again', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await subscribe(alice.client, 1, 'chat:room');
    await subscribe(alice.client, 2, 'news');
    await subscribe(bob.client, 1, 'news');
    await subscribe(bob.client, 2, 'presence-lobby');
    await expect.poll(() => opened(alice.id) + opened(bob.id)).toBe(2);
    const subscribedEvents = (channel: string) =>
      events.filter((e) => e.subscribed?.channel === channel).length;
    await expect.poll(() => subscribedEvents('presence-lobby')).toBe(1);

    await bus.transports[0]!.simulateRestart();

    const hint = (await alice.client.next((f) => f.kind === 'unsubscribed')).unsubscribed!;
    expect([hint.channel, hint.code]).toEqual(['chat:room', UnsubscribeCode.InsufficientState]);
    await expect.poll(() => [opened(alice.id), opened(bob.id)]).toEqual([2, 2]);
    // Presence memberships are announced again (the presence service joins a member once); others are not.
    await expect.poll(() => subscribedEvents('presence-lobby')).toBe(2);
    expect([subscribedEvents('news'), subscribedEvents('chat:room')]).toEqual([2, 1]);
    // Only durable channels get the hint; the subscriptions stay on the node (live publications flow).
    expect(alice.client.count((f) => f.kind === 'unsubscribed')).toBe(1);
    expect(bob.client.count((f) => f.kind === 'unsubscribed')).toBe(0);
    await bus.deliver({
      channel: 'chat:room',
      publication: { channel: 'chat:room', type: 'live', offset: 10 },
    });
    expect((await alice.client.next((f) => f.publication?.type === 'live')).publication!.offset).toBe(10);
  });

  it('answers a re-sync Subscribe (held durable channel with since) with a recovery and nothing else', async () => {
    const alice = await open('alice');
    await subscribe(alice.client, 1, 'chat:room');
    await expect.poll(() => events.filter((e) => e.subscribed).length).toBe(1);

    alice.client.send({ id: 2, subscribe: { channel: 'chat:room', since: { offset: 4, epoch: 'e1' } } });
    const again = (await alice.client.next((f) => f.id === 2)).subscribed!;
    expect([again.wasRecovering, again.recovered, Number(again.position?.offset)]).toEqual([true, true, 9]);
    expect(recovers).toEqual([
      { channel: 'chat:room', since: null },
      { channel: 'chat:room', since: 4 },
    ]);
    // Still subscribed once: one lifecycle `subscribed`, one copy of each publication.
    await bus.deliver({
      channel: 'chat:room',
      publication: { channel: 'chat:room', type: 'once', offset: 10 },
    });
    await alice.client.next((f) => f.publication?.type === 'once');
    alice.client.send({ id: 3, unsubscribe: { channel: 'chat:room' } });
    expect((await alice.client.next((f) => f.id === 3)).kind).toBe('unsubscribed');
    expect(alice.client.count((f) => f.publication?.type === 'once')).toBe(1);
    expect(events.filter((e) => e.subscribed).length).toBe(1);
  });

  it('still refuses a second Subscribe without since, or for a non-durable channel (121)', async () => {
    const alice = await open('alice');
    await subscribe(alice.client, 1, 'chat:room');
    await subscribe(alice.client, 2, 'news');
    alice.client.send({ id: 3, subscribe: { channel: 'chat:room' } });
    expect((await alice.client.next((f) => f.id === 3)).error?.code).toBe(121);
    alice.client.send({ id: 4, subscribe: { channel: 'news', since: { offset: 1, epoch: 'e1' } } });
    expect((await alice.client.next((f) => f.id === 4)).error?.code).toBe(121);
  });
});
