/**
 * The trust boundary, attacked from outside the way a hostile signed-in client would (issue 13, defects 1
 * and 2), on a whole stack: two real edges, the real history, chat, presence and notifications services,
 * each on a transport of its own. Every attack must get its documented refusal, publish nothing, and leave
 * a neighbour's durable stream exact (every offset once, in order, nothing forged in between).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '../../packages/bus/src/index.js';
import {
  encodeDelivery,
  encodeInbound,
  Origin,
  type ServerFrame,
  switchboard,
} from '../../packages/protocol/src/index.js';
import { Publisher } from '../../packages/publisher/src/index.js';
import { connect, subscribe, type TestClient } from '../../services/edge/src/testing/harness.js';
import { type MakeTransport, runId } from '../edge/edge-fixtures.js';
import { type Stack, startStack } from '../services/stack.js';

const v1 = switchboard.v1;
const utf8 = (text: string) => new TextEncoder().encode(text);
const NOT_CALLABLE = 114;

/** A forged history.publish: a Delivery that claims to come from `admin`, for `channel`. */
function forgedPublication(channel: string): Uint8Array {
  return encodeDelivery({
    channel,
    durable: true,
    publication: {
      channel,
      type: 'chat.message',
      payload: utf8('{"text":"forged"}'),
      from: { userId: 'admin' },
    },
  });
}

export function runTrustBoundaryScenarios(
  busName: string,
  makeTransport: MakeTransport,
  redisUrl: () => string | undefined,
): void {
  describe(`trust boundary on ${busName}: a signed-in client reaches only what it may`, () => {
    const run = runId();
    let stack: Stack;
    let backend: Transport;
    let publisher: Publisher;
    const clients: TestClient[] = [];

    beforeAll(async () => {
      stack = await startStack(`sec-${busName}`, makeTransport, run, redisUrl());
      backend = await stack.transport('backend');
      publisher = new Publisher(backend);
    });
    afterAll(async () => {
      for (const client of clients.splice(0)) await client.close();
      await stack?.close();
    });

    const open = async (node: 0 | 1, user: string) => {
      const opened = await connect(stack.nodes[node].url, user);
      clients.push(opened.client);
      return opened;
    };
    /** Everything sent to `client` before now has arrived once this answer is back. */
    const settle = async (client: TestClient, id: number): Promise<ServerFrame[]> => {
      client.send({ id, ping: {} });
      await client.next((f) => f.id === id && Boolean(f.pong), 30_000);
      return client.frames;
    };
    const publicationsOf = (client: TestClient, channel: string) =>
      client.frames.filter((f) => f.publication?.channel === channel).map((f) => f.publication!);

    it('refuses every Send to an internal type with 114; nothing is published, the neighbour’s stream stays exact', async () => {
      const room = `sec-${run}`;
      const channel = `chat:${room}`;
      const victim = await open(1, `victim-${run}`);
      const neighbour = await open(0, `bob-${run}`);
      const { client: mallory } = await open(0, `mallory-${run}`);
      const top = Number((await subscribe(neighbour.client, 1, channel)).subscribed?.position?.offset ?? 0);
      await subscribe(victim.client, 1, `user:victim-${run}`);

      await publisher.toChannel(channel, 'chat.message', { n: 1 }, { durable: true });
      const attacks: [string, string, Uint8Array][] = [
        ['history', 'history.publish', forgedPublication(channel)],
        ['history', 'history.publish', forgedPublication(`user:victim-${run}`)],
        ['history', 'history.publish', forgedPublication(`chat:private-${run}`)],
        ['orders', 'orders.created', utf8('{}')],
        ['lifecycle', 'lifecycle', new Uint8Array([0x0a, 0x01, 0x78])],
        ['notifications', 'inbox.ack', v1.Ack.encode({ ids: ['x'] }).finish()],
        ['presence', 'presence.query', v1.PresenceRequest.encode({ channel }).finish()],
        ['history', 'history.recover', v1.Subscribe.encode({ channel }).finish()],
      ];
      let id = 10;
      for (const [service, type, payload] of attacks) {
        id++;
        mallory.send({ id, send: { service, type, payload, key: channel, requestId: `a${id}` } });
        const refused = await mallory.next((f) => f.reply?.requestId === `a${id}`, 30_000);
        expect([service, type, refused.reply?.error?.code]).toEqual([service, type, NOT_CALLABLE]);
      }
      // Without a request id the refusal is an Error frame with the command's id.
      mallory.send({
        id: 50,
        send: { service: 'history', type: 'history.publish', payload: forgedPublication(channel) },
      });
      expect((await mallory.next((f) => f.id === 50, 30_000)).error?.code).toBe(NOT_CALLABLE);
      // Writing into a private channel through a client-callable service is refused by the service.
      mallory.send({
        id: 51,
        send: {
          service: 'chat',
          type: 'chat.send',
          payload: utf8(`{"room":"private-${run}","text":"x"}`),
          requestId: 'p',
        },
      });
      expect((await mallory.next((f) => f.reply?.requestId === 'p', 30_000)).reply?.error?.code).toBe(102);

      await publisher.toChannel(channel, 'chat.message', { n: 2 }, { durable: true });
      await expect.poll(() => publicationsOf(neighbour.client, channel).length, { timeout: 30_000 }).toBe(2);
      await settle(neighbour.client, 90);
      await settle(victim.client, 90);
      const got = publicationsOf(neighbour.client, channel);
      expect(got.map((p) => [Number(p.offset), p.type, p.from?.userId ?? ''])).toEqual([
        [top + 1, 'chat.message', ''],
        [top + 2, 'chat.message', ''],
      ]);
      expect(victim.client.frames.filter((f) => f.publication || f.push)).toEqual([]);
    });

    it('a service refuses a client-originated internal type even when it gets past an edge (second wall)', async () => {
      const channel = `chat:wall-${run}`;
      const neighbour = await open(1, `carol-${run}`);
      const top = Number((await subscribe(neighbour.client, 1, channel)).subscribed?.position?.offset ?? 0);
      // What a misconfigured edge (allow-list `history/*`) would put on the bus for a client's Send.
      await backend.publishWork(
        'history',
        channel,
        encodeInbound({
          connectionId: `${stack.nodes[0].nodeId}.forged`,
          userId: `mallory-${run}`,
          nodeId: stack.nodes[0].nodeId,
          service: 'history',
          type: 'history.publish',
          key: channel,
          payload: forgedPublication(channel),
          origin: Origin.ORIGIN_CLIENT,
        }),
      );
      await publisher.toChannel(channel, 'chat.message', { n: 1 }, { durable: true });
      await expect.poll(() => publicationsOf(neighbour.client, channel).length, { timeout: 30_000 }).toBe(1);
      await settle(neighbour.client, 91);
      const got = publicationsOf(neighbour.client, channel);
      expect(got.map((p) => [Number(p.offset), p.from?.userId ?? ''])).toEqual([[top + 1, '']]);
    });

    it('a forged request id never yields another request’s answer (private history, presence)', async () => {
      const privateRoom = `chat:private-room-${run}`;
      await publisher.toChannel(privateRoom, 'chat.message', { secret: true }, { durable: true });
      const { client: mallory } = await open(0, `mallory2-${run}`);
      const own = `presence-own-${run}`;
      await subscribe(mallory, 1, own);
      // A legitimate query is pending as frame 7 while the forged ones try to answer it.
      mallory.send({ id: 7, presence: { channel: own } });
      for (const [type, payload] of [
        ['history.query', v1.HistoryRequest.encode({ channel: privateRoom }).finish()],
        [
          'history.recover',
          v1.Subscribe.encode({ channel: privateRoom, since: { offset: 0, epoch: '' } }).finish(),
        ],
        ['presence.query', v1.PresenceRequest.encode({ channel: privateRoom }).finish()],
      ] as const)
        mallory.send({
          id: 8,
          send: { service: 'history', type, payload, requestId: '7', key: privateRoom },
        });
      const answer = await mallory.next((f) => f.id === 7, 30_000);
      expect(answer.kind).toBe('presence');
      await settle(mallory, 92);
      const leaked = mallory.frames.filter(
        (f) =>
          f.history?.channel === privateRoom ||
          f.subscribed?.channel === privateRoom ||
          f.presence?.channel === privateRoom ||
          (f.reply?.payload?.length ?? 0) > 0,
      );
      expect(leaked).toEqual([]);
      expect(
        mallory.frames.filter((f) => f.reply?.requestId === '7').map((f) => f.reply?.error?.code),
      ).toEqual([NOT_CALLABLE, NOT_CALLABLE, NOT_CALLABLE]);
    });

    it('a private channel is not readable through history or presence queries without subscribing', async () => {
      const privateRoom = `chat:private-q-${run}`;
      const { client: mallory } = await open(1, `mallory3-${run}`);
      mallory.send({ id: 3, history: { channel: privateRoom } });
      mallory.send({ id: 4, presence: { channel: privateRoom } });
      expect((await mallory.next((f) => f.id === 3, 30_000)).error?.code).toBe(122);
      expect((await mallory.next((f) => f.id === 4, 30_000)).error?.code).toBe(122);
    });
  });
}
