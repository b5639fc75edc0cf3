import { describe, expect, it } from 'vitest';
import { Pushes } from './pushes.js';
import { bytes, connected, useEdge } from './test-support/clients.js';
import { collect, nextEvent } from './test-support/wait.js';

const fixture = useEdge();

describe('Pushes', () => {
  function pushes(window: number) {
    const sent: string[][] = [];
    const p = new Pushes(window, (ids) => {
      sent.push(ids);
      return true;
    });
    return { p, sent };
  }

  it('forgets the oldest ids beyond the window', () => {
    const { p } = pushes(2);
    const seen = (id: string) => p.receive({ id }) !== undefined;
    expect(['a', 'b', 'a', 'c', 'b', 'a'].map(seen)).toEqual([true, true, false, true, false, true]);
  });

  it('re-acks a redelivery the app already acked, and leaves an unacked one to the app', async () => {
    const { p, sent } = pushes(10);
    p.receive({ id: 'a' });
    p.receive({ id: 'b' });
    p.ack(['a']);
    await Promise.resolve();
    expect(sent).toEqual([['a']]);
    expect(p.receive({ id: 'a' })).toBeUndefined();
    expect(p.receive({ id: 'b' })).toBeUndefined();
    await Promise.resolve();
    expect(sent).toEqual([['a'], ['a']]);
  });

  it('passes everything with window 0 or without an id', () => {
    expect(pushes(0).p.receive({ id: 'a' })).toBeDefined();
    const { p } = pushes(10);
    expect([p.receive({}), p.receive({})].every((n) => n !== undefined)).toBe(true);
  });
});

describe('push de-duplication', () => {
  it('emits a redelivered notification once, also across a reconnect, and re-acks it', async () => {
    const { edge } = fixture;
    const client = fixture.newClient();
    const received = collect(client, 'push');
    await connected(client);
    const first = await edge.connection(0);
    const push = { id: 'n1', type: 'order.shipped', payload: bytes('{}'), requiresAck: true };
    first.send({ push });
    first.send({ push });
    first.send({ push: { ...push, id: 'n2' } });
    const n2 = nextEvent(client, 'push', (n) => n.id === 'n2');
    await n2;
    expect(received.map((n) => n.id)).toEqual(['n1', 'n2']);
    client.ack('n1');
    expect((await first.next('ack')).ack?.ids).toEqual(['n1']);

    // The ack was lost with the socket: the server redelivers after the reconnect.
    const again = nextEvent(client, 'connected');
    first.close(3000, 'again');
    await again;
    const second = await edge.connection(1);
    second.send({ push });
    second.send({ push: { ...push, id: 'n3' } });
    await nextEvent(client, 'push', (n) => n.id === 'n3');
    expect(received.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    expect((await second.next('ack')).ack?.ids).toEqual(['n1']);
  });

  it('can be turned off with pushDedupWindow: 0', async () => {
    const { edge } = fixture;
    const client = fixture.newClient({ pushDedupWindow: 0 });
    const received = collect(client, 'push');
    await connected(client);
    const conn = await edge.connection(0);
    conn.send({ push: { id: 'n1' } });
    conn.send({ push: { id: 'n1' } });
    await nextEvent(client, 'push');
    if (received.length < 2) await nextEvent(client, 'push');
    expect(received.map((n) => n.id)).toEqual(['n1', 'n1']);
  });
});
