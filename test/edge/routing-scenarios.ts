/**
 * Issue 3's routing guarantees against a real broker: two edge nodes on two transports (two processes as
 * far as the broker can tell) and a service on a third. Each bus's test file calls
 * `runEdgeRoutingScenarios` with a factory for its transport.
 *
 * "Nobody else" is shown with a barrier: a marker delivered to `all` after the message under test. The
 * broker keeps one publisher's deliveries to one node in order (AMQP: one node queue; Kafka: the one-
 * partition deliveries topic), so once a client has the marker, anything meant for it has arrived too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeRoute } from '../../packages/bus/src/index.js';
import { Client } from '../../packages/client/src/index.js';
import {
  decodeInbound,
  encodeDelivery,
  Origin,
  type ServerFrame,
} from '../../packages/protocol/src/index.js';
import { connect, sign, subscribe, type TestClient } from '../../services/edge/src/testing/harness.js';
import {
  type EdgeFleet,
  type MakeTransport,
  ReadyFront,
  record,
  runId,
  startFleet,
} from './edge-fixtures.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());
const nodeOf = (connectionId: string) => connectionId.slice(0, connectionId.lastIndexOf('.'));

export function runEdgeRoutingScenarios(busName: string, makeTransport: MakeTransport): void {
  describe(`edge routing on ${busName}: two nodes, two bus connections`, () => {
    const run = runId();
    let fleet: EdgeFleet;
    const clients: TestClient[] = [];
    let markers = 0;

    beforeAll(async () => {
      fleet = await startFleet(makeTransport, `edge-it-${busName}-${run}`, 2, {
        clientCallable: [`echo-${busName}-${run}/*`],
      });
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) await c.close();
    });
    afterAll(async () => {
      await fleet?.close();
    });

    async function open(node: number, user: string, json = false) {
      const r = await connect(fleet.nodes[node]!.url, user, { json });
      clients.push(r.client);
      return r;
    }

    /** Delivers a marker to everyone and waits until each target has it. */
    async function barrier(...targets: TestClient[]) {
      const marker = `marker-${++markers}`;
      await fleet.deliver({ all: true, push: { id: marker, type: 'marker' } });
      await Promise.all(targets.map((t) => t.next((f) => f.push?.id === marker, 30_000)));
    }

    const got = (c: TestClient, type: string) =>
      c.count((f: ServerFrame) => f.publication?.type === type || f.push?.type === type);

    it('delivers a channel publication to subscribers on both nodes and nobody else', async () => {
      const channel = `news-${run}`;
      const a = await open(0, 'alice');
      const b = await open(1, 'bob', true);
      const elsewhere = await open(1, 'carol');
      const idle = await open(0, 'dave');
      expect((await subscribe(a.client, 1, channel)).kind).toBe('subscribed');
      expect((await subscribe(b.client, 1, channel)).kind).toBe('subscribed');
      expect((await subscribe(elsewhere.client, 1, `sports-${run}`)).kind).toBe('subscribed');
      await fleet.deliver({
        channel,
        publication: { channel, type: 'headline', payload: bytes('hi') },
      });
      const fa = await a.client.next((f) => f.publication?.type === 'headline', 30_000);
      const fb = await b.client.next((f) => f.publication?.type === 'headline', 30_000);
      expect(text(fa.publication!.payload)).toBe('hi');
      expect(text(fb.publication!.payload)).toBe('hi');
      expect(fb.publication!.channel).toBe(channel);
      await barrier(a.client, b.client, elsewhere.client, idle.client);
      expect(got(a.client, 'headline')).toBe(1);
      expect(got(b.client, 'headline')).toBe(1);
      expect(got(elsewhere.client, 'headline')).toBe(0);
      expect(got(idle.client, 'headline')).toBe(0);
    });

    it('stops routing a channel to a node once its last local subscriber leaves', async () => {
      const channel = `gone-${run}`;
      const a = await open(0, 'alice');
      const b = await open(1, 'bob');
      await subscribe(a.client, 1, channel);
      await subscribe(b.client, 1, channel);
      a.client.send({ id: 2, unsubscribe: { channel } });
      expect((await a.client.next((f) => f.id === 2)).kind).toBe('unsubscribed');
      await fleet.deliver({ channel, publication: { channel, type: 'after-leave' } });
      await b.client.next((f) => f.publication?.type === 'after-leave', 30_000);
      await barrier(a.client, b.client);
      expect(got(a.client, 'after-leave')).toBe(0);
      expect(got(b.client, 'after-leave')).toBe(1);
    });

    it('delivers a user-targeted push to every connection of that user on every node and no other user', async () => {
      const user = `erin-${run}`;
      const e1 = await open(0, user);
      const e2 = await open(1, user);
      const e3 = await open(1, user, true);
      const other0 = await open(0, `frank-${run}`);
      const other1 = await open(1, `frank-${run}`);
      await fleet.deliver({ user, push: { id: 'p1', type: 'order', payload: bytes('shipped') } });
      for (const c of [e1, e2, e3]) {
        const frame = await c.client.next((f) => f.push?.type === 'order', 30_000);
        expect(text(frame.push!.payload)).toBe('shipped');
      }
      await barrier(e1.client, e2.client, e3.client, other0.client, other1.client);
      for (const c of [e1, e2, e3]) expect(got(c.client, 'order')).toBe(1);
      expect(got(other0.client, 'order')).toBe(0);
      expect(got(other1.client, 'order')).toBe(0);
    });

    it('delivers a connection-targeted push to exactly that connection', async () => {
      const user = `gina-${run}`;
      const g0 = await open(0, user);
      const g1 = await open(1, user);
      const g2 = await open(1, user);
      const other = await open(1, 'henry');
      expect(nodeOf(String(g1.id))).toBe(fleet.nodes[1]!.nodeId);
      await fleet.deliver({ connection: g1.id, push: { id: 'c1', type: 'direct' } });
      await g1.client.next((f) => f.push?.type === 'direct', 30_000);
      await barrier(g0.client, g1.client, g2.client, other.client);
      expect(got(g1.client, 'direct')).toBe(1);
      expect(got(g0.client, 'direct')).toBe(0);
      expect(got(g2.client, 'direct')).toBe(0);
      expect(got(other.client, 'direct')).toBe(0);
    });

    it('honours except_connection for channel and user targets across nodes', async () => {
      const channel = `room-${run}`;
      const user = `ivan-${run}`;
      const sender = await open(0, 'judy');
      const listener0 = await open(0, 'kim');
      const listener1 = await open(1, 'leo');
      const i0 = await open(0, user);
      const i1 = await open(1, user);
      for (const c of [sender, listener0, listener1]) await subscribe(c.client, 1, channel);
      await fleet.deliver({
        channel,
        exceptConnection: sender.id,
        publication: { channel, type: 'echo' },
      });
      await fleet.deliver({ user, exceptConnection: i1.id, push: { id: 'u1', type: 'user-echo' } });
      await listener0.client.next((f) => f.publication?.type === 'echo', 30_000);
      await listener1.client.next((f) => f.publication?.type === 'echo', 30_000);
      await i0.client.next((f) => f.push?.type === 'user-echo', 30_000);
      await barrier(sender.client, listener0.client, listener1.client, i0.client, i1.client);
      expect(got(sender.client, 'echo')).toBe(0);
      expect(got(listener0.client, 'echo')).toBe(1);
      expect(got(listener1.client, 'echo')).toBe(1);
      expect(got(i1.client, 'user-echo')).toBe(0);
      expect(got(i0.client, 'user-echo')).toBe(1);
    });

    it('relays a Send with request_id to a service on the bus and routes its reply back to the sender', async () => {
      const service = `echo-${busName}-${run}`;
      const seen: { connectionId: string; nodeId: string; userId: string; requestId: string }[] = [];
      const consumer = await fleet.service.consumeWork(
        service,
        { group: 'echo', ordered: false },
        async (message) => {
          const inbound = decodeInbound(message.bytes);
          seen.push(inbound);
          await fleet.service.publishDelivery(
            nodeRoute(nodeOf(inbound.connectionId)),
            encodeDelivery({
              connection: inbound.connectionId,
              service, // the edge accepts an answer only from the service its request went to
              reply: {
                requestId: inbound.requestId,
                type: `${inbound.type}.ok`,
                payload: bytes(`${inbound.userId}:${text(inbound.payload)}`),
              },
            }),
          );
        },
      );
      try {
        const sender = await open(1, 'mia');
        const bystander = await open(0, 'mia');
        sender.client.send({
          id: 1,
          send: { service, type: 'echo', payload: bytes('ping'), requestId: 'r1' },
        });
        const reply = (await sender.client.next((f) => f.reply?.requestId === 'r1', 60_000)).reply!;
        expect(reply.error).toBeFalsy();
        expect(reply.type).toBe('echo.ok');
        expect(text(reply.payload)).toBe('mia:ping');
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({
          connectionId: sender.id,
          nodeId: fleet.nodes[1]!.nodeId,
          userId: 'mia',
          origin: Origin.ORIGIN_CLIENT,
        });
        // The service saw the edge's correlation id, never the client's own request id.
        expect(seen[0]!.requestId).toMatch(/^[1-9]\d*$/);
        await barrier(sender.client, bystander.client);
        expect(bystander.client.count((f) => f.kind === 'reply')).toBe(0);

        // The client SDK's request() over the same path.
        const sdk = new Client(fleet.nodes[0]!.url, {
          getToken: () => sign({ sub: 'nora' }, { expiresIn: '1h' }),
        });
        const sdkConnected = record(sdk, 'connected');
        try {
          sdk.connect();
          await sdkConnected.next();
          const answer = await sdk.request(service, 'hello', bytes('sdk'), { timeoutMs: 60_000 });
          expect(answer.type).toBe('hello.ok');
          expect(text(answer.payload)).toBe('nora:sdk');
        } finally {
          sdk.disconnect();
        }
      } finally {
        await consumer.close();
      }
    });
  });

  describe(`client SDK on ${busName}: drain of one node`, () => {
    const run = runId();
    let fleet: EdgeFleet;
    let front: ReadyFront;

    beforeAll(async () => {
      fleet = await startFleet(makeTransport, `edge-it-${busName}-sdk-${run}`, 2, {
        drainJitterMs: 50,
        reconnectDelayMaxMs: 100,
        drainTimeoutMs: 10_000,
      });
      front = await ReadyFront.start(fleet.nodes);
    });
    afterAll(async () => {
      await front?.close();
      await fleet?.close();
    });

    it('reconnects to the other node after drain() and resubscribes', async () => {
      const [first, second] = fleet.nodes as [(typeof fleet.nodes)[0], (typeof fleet.nodes)[0]];
      const channel = `sdk-${run}`;
      const client = new Client(front.url, {
        getToken: () => sign({ sub: 'olga' }, { expiresIn: '1h' }),
        minReconnectDelayMs: 50,
        maxReconnectDelayMs: 500,
      });
      const connected = record(client, 'connected');
      try {
        client.connect();
        expect((await connected.next()).nodeId).toBe(first.nodeId);
        const sub = client.subscribe(channel);
        const subscribed = record(sub, 'subscribed');
        const publications = record(sub, 'publication');
        await subscribed.next();

        await fleet.deliver({ channel, publication: { channel, type: 'before', payload: bytes('1') } });
        expect(text((await publications.next((p) => p.type === 'before')).payload)).toBe('1');

        expect(await first.drain()).toEqual({ notified: 1, forced: 0 });
        const again = await connected.next((c) => c.nodeId === second.nodeId);
        expect(nodeOf(again.connectionId)).toBe(second.nodeId);
        await expect.poll(() => subscribed.seen.length, { timeout: 30_000 }).toBe(2);
        expect(second.connections).toBe(1);

        await fleet.deliver({ channel, publication: { channel, type: 'after', payload: bytes('2') } });
        expect(text((await publications.next((p) => p.type === 'after')).payload)).toBe('2');
        expect(publications.seen.map((p) => p.type)).toEqual(['before', 'after']);
        expect(connected.seen.map((c) => c.nodeId)).toEqual([first.nodeId, second.nodeId]);
      } finally {
        client.disconnect();
      }
    });
  });
}
