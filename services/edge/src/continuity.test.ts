import { type ServerFrame, UnsubscribeCode } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Bus,
  connect,
  standInHistory,
  startBus,
  subscribe,
  type TestClient,
} from './testing/harness.js';

const CHANNEL = 'chat:room';

/** What a client saw on CHANNEL, in order: `e1:5` for a publication, `2500` for a re-sync hint. */
function stream(client: TestClient): string[] {
  return client.frames.flatMap((f: ServerFrame) => {
    if (f.publication?.channel === CHANNEL) return [`${f.publication.epoch}:${Number(f.publication.offset)}`];
    if (f.unsubscribed?.channel === CHANNEL && f.id === 0) return [String(f.unsubscribed.code)];
    return [];
  });
}

describe('continuity of durable channels at the edge', () => {
  let bus: Bus;
  const clients: TestClient[] = [];
  /** The stream top the stand-in history service answers a recovery with. */
  let top: { offset: number; epoch: string };

  beforeEach(async () => {
    bus = await startBus(1, { requestTimeoutMs: 2_000 });
    top = { offset: 4, epoch: 'e1' };
    // Answers every recovery with the current `top` (recovered when the Subscribe had `since`).
    await standInHistory(bus, () => ({ ...top }));
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

  const publish = (offset: number, epoch = 'e1', except?: string) =>
    bus.deliver({
      channel: CHANNEL,
      durable: true,
      ...(except ? { exceptConnection: except } : {}),
      publication: { channel: CHANNEL, type: 'msg', offset, epoch },
    });

  /** A last ephemeral frame on another channel: everything published before it has arrived. */
  async function barrier(client: TestClient, name: string) {
    await bus.deliver({ channel: 'news', publication: { channel: 'news', type: name } });
    await client.next((f) => f.publication?.type === name);
  }

  async function subscribed(user: string) {
    const r = await open(user);
    await subscribe(r.client, 9, 'news');
    const answer = await subscribe(r.client, 1, CHANNEL);
    expect(Number(answer.subscribed?.position?.offset)).toBe(top.offset);
    return r;
  }

  it('on a jump sends 2500 first and does not forward the publication past the gap', async () => {
    const alice = await subscribed('alice');
    const bob = await subscribed('bob');
    await publish(5);
    await publish(8); // 6 and 7 never reached this node
    await publish(9);
    await barrier(alice.client, 'b1');
    await barrier(bob.client, 'b1');
    // 8 comes through the recovery the 2500 asks for; 9 flows (the client buffers it while resubscribing).
    expect(stream(alice.client)).toEqual(['e1:5', String(UnsubscribeCode.InsufficientState), 'e1:9']);
    expect(stream(bob.client)).toEqual(stream(alice.client));
  });

  it('checks the first publication against the stream top of the Subscribed answer', async () => {
    const alice = await subscribed('alice');
    await publish(7); // the answer said 4: 5 and 6 were missed
    await publish(8);
    await barrier(alice.client, 'b1');
    expect(stream(alice.client)).toEqual(['2500', 'e1:8']);
  });

  it('forwards a first publication at or below the answered top (another subscriber may need it)', async () => {
    const alice = await subscribed('alice');
    await publish(4);
    await publish(5);
    await barrier(alice.client, 'b1');
    expect(stream(alice.client)).toEqual(['e1:4', 'e1:5']);
  });

  it('drops duplicates by offset', async () => {
    const alice = await subscribed('alice');
    for (const offset of [5, 6, 5, 6, 4, 7]) await publish(offset);
    await barrier(alice.client, 'b1');
    expect(stream(alice.client)).toEqual(['e1:5', 'e1:6', 'e1:7']);
  });

  it('signals an epoch change with 2500 and forwards the new epoch after it', async () => {
    const alice = await subscribed('alice');
    await publish(5);
    await publish(1, 'e2');
    await publish(2, 'e2');
    await barrier(alice.client, 'b1');
    expect(stream(alice.client)).toEqual(['e1:5', '2500', 'e2:2']);
  });

  it('takes a first offset 1 in any epoch after an empty stream (top 0)', async () => {
    top = { offset: 0, epoch: '' };
    const alice = await subscribed('alice');
    await publish(1, 'e7');
    await publish(2, 'e7');
    await barrier(alice.client, 'b1');
    expect(stream(alice.client)).toEqual(['e7:1', 'e7:2']);
  });

  it('starts over when the channel lost its last local subscriber and got a new one', async () => {
    const alice = await subscribed('alice');
    await publish(5);
    await barrier(alice.client, 'b1');
    alice.client.send({ id: 2, unsubscribe: { channel: CHANNEL } });
    await alice.client.next((f) => f.id === 2);
    top = { offset: 20, epoch: 'e1' };
    const again = await subscribe(alice.client, 3, CHANNEL);
    expect(Number(again.subscribed?.position?.offset)).toBe(20);
    await publish(21);
    await barrier(alice.client, 'b2');
    expect(stream(alice.client)).toEqual(['e1:5', 'e1:21']);
  });

  it('writes a durable publication to its except_connection too (a hole would be a gap), ephemeral ones not', async () => {
    const alice = await subscribed('alice');
    await publish(5, 'e1', alice.id ?? '');
    await bus.deliver({
      channel: CHANNEL,
      exceptConnection: alice.id ?? '',
      publication: { channel: CHANNEL, type: 'typing' },
    });
    await barrier(alice.client, 'b1');
    expect(stream(alice.client)).toEqual(['e1:5']);
    expect(alice.client.count((f) => f.publication?.type === 'typing')).toBe(0);
  });
});
