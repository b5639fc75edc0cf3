/**
 * Answers are matched by a correlation id the edge generates: a client cannot steer which answer it gets
 * (issue 13, defect 2: a forged request id made another request's answer arrive as its own).
 */
import { nodeRoute } from '@switchboard/bus';
import { decodeInbound, encodeDelivery, type IDelivery, type Inbound, Origin } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Bus, connect, startBus, subscribe, type TestClient } from './testing/harness.js';

const nodeOf = (connectionId: string) => connectionId.slice(0, connectionId.lastIndexOf('.'));

describe('answers are matched by the edge’s correlation id', () => {
  let bus: Bus;
  const clients: TestClient[] = [];
  /** Every Inbound a stand-in service got, by topic, held until the test answers it. */
  const got: Record<string, Inbound[]> = { echo: [], history: [], presence: [] };

  beforeEach(async () => {
    bus = await startBus(1, { requestTimeoutMs: 60_000, clientCallable: ['echo/*'] });
    for (const topic of Object.keys(got)) {
      got[topic] = [];
      await bus.publisher.consumeWork(topic, { group: topic }, async (message) => {
        const inbound = decodeInbound(message.bytes);
        // The stand-in history answers every recover at once, so durable subscribes complete.
        if (inbound.type === 'history.recover')
          return answer(inbound, {
            frameId: Number(inbound.requestId),
            service: 'history',
            subscribed: { channel: 'chat:own', durable: true },
          });
        got[topic]!.push(inbound);
      });
    }
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await bus.close();
  });

  const answer = (inbound: Inbound, body: IDelivery) =>
    bus.publisher.publishDelivery(
      nodeRoute(nodeOf(inbound.connectionId)),
      encodeDelivery({ connection: inbound.connectionId, ...body }),
    );
  const client = async (user: string) => {
    const { client } = await connect(bus.nodes[0]!.url, user);
    clients.push(client);
    return client;
  };
  /** The frames a client got, after a marker round trip proved everything before it was delivered. */
  const settled = async (c: TestClient, marker: number) => {
    c.send({ id: marker, ping: {} });
    await c.next((f) => f.id === marker && Boolean(f.pong));
    return c.frames.filter((f) => f.id !== marker);
  };

  it('never forwards the client’s own ids to a service; stamps origin client or edge', async () => {
    const alice = await client('alice');
    await subscribe(alice, 1, 'chat:own');
    alice.send({ id: 7, send: { service: 'echo', type: 'echo', requestId: '7' } });
    alice.send({ id: 8, history: { channel: 'chat:own' } });
    await expect.poll(() => got.echo!.length + got.history!.length).toBe(2);
    const [send, query] = [got.echo![0]!, got.history![0]!];
    expect(send.origin).toBe(Origin.ORIGIN_CLIENT);
    expect(query.origin).toBe(Origin.ORIGIN_EDGE);
    expect(send.userId).toBe('alice');
    // Correlation ids are the edge's own: distinct, and never what the client chose.
    expect(new Set([send.requestId, query.requestId, '7', '8']).size).toBe(4);
  });

  it('drops an answer for another connection, from another service, of the wrong kind, or twice', async () => {
    const alice = await client('alice');
    const mallory = await client('mallory');
    await subscribe(alice, 1, 'chat:own');
    await subscribe(mallory, 1, 'chat:own');
    alice.send({ id: 2, history: { channel: 'chat:own' } });
    mallory.send({ id: 2, presence: { channel: 'chat:own' } });
    await expect.poll(() => got.history!.length + got.presence!.length).toBe(2);
    const aliceQuery = got.history![0]!;
    const malloryQuery = got.presence![0]!;
    const secret = { channel: 'chat:own', publications: [{ offset: 1, type: 'secret' }] };
    // Alice's history answer, addressed to Mallory's connection with Mallory's correlation id.
    await answer(malloryQuery, {
      connection: malloryQuery.connectionId,
      frameId: Number(malloryQuery.requestId),
      service: 'history',
      history: secret,
    });
    // The right correlation, but from a service the request did not go to.
    await answer(aliceQuery, { frameId: Number(aliceQuery.requestId), service: 'chat', history: secret });
    // The right correlation and service, but not the body a history query expects.
    await answer(aliceQuery, {
      frameId: Number(aliceQuery.requestId),
      service: 'history',
      presence: { channel: 'chat:own' },
    });
    // Mallory's correlation, addressed to Mallory, but the wrong service for her presence query.
    await answer(malloryQuery, {
      frameId: Number(malloryQuery.requestId),
      service: 'history',
      history: secret,
    });
    expect((await settled(mallory, 90)).filter((f) => f.id === 2)).toEqual([]);
    expect((await settled(alice, 90)).filter((f) => f.id === 2)).toEqual([]);
    // The genuine answer is delivered once, with the client's frame id; a replay of it is dropped.
    const genuine = { frameId: Number(aliceQuery.requestId), service: 'history', history: secret };
    await answer(aliceQuery, genuine);
    await answer(aliceQuery, genuine);
    const answers = (await settled(alice, 91)).filter((f) => f.id === 2);
    expect(answers.map((f) => f.history?.publications?.[0]?.type)).toEqual(['secret']);
  });

  it('a Reply settles only the Send it answers, with the client’s request id put back', async () => {
    const alice = await client('alice');
    alice.send({ id: 1, send: { service: 'echo', type: 'a', requestId: 'mine' } });
    alice.send({ id: 2, send: { service: 'echo', type: 'b', requestId: 'other' } });
    await expect.poll(() => got.echo!.length).toBe(2);
    const [first, second] = got.echo as [Inbound, Inbound];
    // A reply naming the client's own request id (what a forged id would aim for) matches nothing.
    await answer(first, { service: 'echo', reply: { requestId: 'mine', type: 'forged' } });
    await answer(second, { service: 'echo', reply: { requestId: second.requestId, type: 'b.ok' } });
    await answer(first, { service: 'echo', reply: { requestId: first.requestId, type: 'a.ok' } });
    const replies = (await settled(alice, 92)).filter((f) => f.reply);
    expect(replies.map((f) => [f.reply!.requestId, f.reply!.type])).toEqual([
      ['other', 'b.ok'],
      ['mine', 'a.ok'],
    ]);
  });

  it('bounds requests awaiting an answer per connection: the next one gets 132 and is not published', async () => {
    await bus.close();
    bus = await startBus(1, {
      requestTimeoutMs: 60_000,
      clientCallable: ['echo/*'],
      limits: { maxPendingRequests: 3 },
    });
    got.echo = [];
    await bus.publisher.consumeWork(
      'echo',
      { group: 'echo' },
      async (m) => void got.echo!.push(decodeInbound(m.bytes)),
    );
    const alice = await client('alice');
    const bob = await client('bob');
    for (let i = 1; i <= 4; i++)
      alice.send({ id: i, send: { service: 'echo', type: 'x', requestId: `r${i}` } });
    const refused = await alice.next((f) => f.reply?.requestId === 'r4');
    expect(refused.reply?.error?.code).toBe(132);
    // Another connection has its own budget; a Send without a request id awaits nothing and is not counted.
    bob.send({ id: 1, send: { service: 'echo', type: 'x', requestId: 'b1' } });
    alice.send({ id: 5, send: { service: 'echo', type: 'fire-and-forget' } });
    await expect.poll(() => got.echo!.length).toBe(5);
    expect(got.echo!.map((i) => i.type).sort()).toEqual(['fire-and-forget', 'x', 'x', 'x', 'x']);
    // An answer frees a slot.
    const first = got.echo!.find((i) => i.userId === 'alice' && i.type === 'x')!;
    await answer(first, { service: 'echo', reply: { requestId: first.requestId, type: 'ok' } });
    await alice.next((f) => f.reply?.type === 'ok');
    alice.send({ id: 6, send: { service: 'echo', type: 'x', requestId: 'r6' } });
    await expect.poll(() => got.echo!.length).toBe(6);
  });
});
