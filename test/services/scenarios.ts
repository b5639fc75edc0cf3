/**
 * Issue 4's cross-service guarantees on a real broker (+ Redis): a stack (stack.ts) of two edge nodes and
 * the history, chat, notifications and presence services, each on its own bus connection, driven by the
 * client SDK through the edges. Each bus's test file calls `runServiceScenarios`.
 *
 * "Nothing else arrived" is shown with a barrier that the same path must carry after the thing under test
 * (a later message on the same channel, a later notification of the same inbox), never with a sleep.
 * The presence scenario kills node 2, so it runs last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkMessage } from '../../packages/bus/src/index.js';
import type { Client, Publication, Subscription } from '../../packages/client/src/index.js';
import {
  decodeDeliveryReceipt,
  encodeOrderEvent,
  type IOrderEvent,
  ReceiptStatus,
} from '../../packages/protocol/src/index.js';
import { ORDERS_TOPIC, RECEIPTS_TOPIC } from '../../services/notifications/src/index.js';
import { type MakeTransport, record, runId } from '../edge/edge-fixtures.js';
import { type Stack, startStack } from './stack.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
const parse = <T>(bytes: Uint8Array): T => JSON.parse(decoder.decode(bytes)) as T;

interface ChatMessage {
  id: string;
  room: string;
  text: string;
  user: string;
}

/** A chat message as a subscriber saw it: the publication's offset and the message. */
interface Seen extends ChatMessage {
  offset: number;
}

const WAIT = { timeout: 60_000, interval: 50 };

/** A subscription with every event recorded. */
function watch(sub: Subscription) {
  const subscribed = record(sub, 'subscribed');
  const publications = record(sub, 'publication');
  const leaves = record(sub, 'leave');
  const messages = (): Seen[] =>
    publications.seen
      .filter((p: Publication) => p.type === 'chat.message')
      .map((p) => ({ offset: p.offset, ...parse<ChatMessage>(p.payload) }));
  return { sub, subscribed, publications, leaves, messages };
}

async function request(client: Client, type: string, room: string, body: object) {
  return client.request('chat', type, json({ room, ...body }), { key: room, timeoutMs: 30_000 });
}

async function join(client: Client, room: string): Promise<void> {
  const reply = await request(client, 'chat.join', room, {});
  expect(reply.type).toBe('chat.joined');
}

async function say(client: Client, room: string, text: string): Promise<ChatMessage> {
  const reply = await request(client, 'chat.send', room, { text });
  expect(reply.type).toBe('chat.sent');
  const sent = parse<ChatMessage>(reply.payload);
  expect(sent.text).toBe(text);
  return sent;
}

/** Offsets of one durable channel as a subscriber should see them: strictly consecutive. */
function expectConsecutive(seen: readonly Seen[]): void {
  const offsets = seen.map((m) => m.offset);
  expect(offsets[0]).toBeGreaterThan(0);
  expect(offsets).toEqual(offsets.map((_, i) => (offsets[0] as number) + i));
}

export function runServiceScenarios(
  busName: string,
  makeTransport: MakeTransport,
  redisUrl: () => string | undefined,
): void {
  describe(`services on ${busName}: two edges, history, chat, notifications, presence`, () => {
    const run = runId();
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack(busName, makeTransport, run, redisUrl());
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('chat: a message from A reaches the room members on both nodes in order, never A', async () => {
      const room = `r-${run}`;
      const channel = `chat:${room}`;
      const a = await stack.client(0, `alice-${run}`);
      const b = await stack.client(1, `bob-${run}`);
      const c = await stack.client(1, `carol-${run}`);
      try {
        const [wa, wb, wc] = [a, b, c].map((client) => watch(client.subscribe(channel))) as [
          ReturnType<typeof watch>,
          ReturnType<typeof watch>,
          ReturnType<typeof watch>,
        ];
        await Promise.all([wa, wb, wc].map((w) => w.subscribed.next()));
        for (const client of [a, b, c]) await join(client, room);

        const texts = Array.from({ length: 20 }, (_, i) => `hello ${i}`);
        const sent: ChatMessage[] = [];
        for (const text of texts) sent.push(await say(a, room, text));
        expect(new Set(sent.map((m) => m.id)).size).toBe(20);

        for (const w of [wb, wc]) {
          await expect.poll(() => w.messages().length, WAIT).toBeGreaterThanOrEqual(20);
          const seen = w.messages();
          expect(seen.map((m) => m.text)).toEqual(texts);
          expect(seen.map((m) => m.id)).toEqual(sent.map((m) => m.id));
          expect(seen.every((m) => m.user === `alice-${run}`)).toBe(true);
          expectConsecutive(seen);
        }

        // Barrier: B's message comes after A's 20 on the same channel, to A's node, from the one writer.
        const last = wb.messages().at(-1) as Seen;
        await say(b, room, 'from bob');
        await expect.poll(() => wa.messages().length, WAIT).toBeGreaterThanOrEqual(1);
        expect(wa.messages().map((m) => [m.text, m.user, m.offset])).toEqual([
          ['from bob', `bob-${run}`, last.offset + 1],
        ]);
        await expect.poll(() => wc.messages().length, WAIT).toBe(21);
        expect(wc.messages()[20]?.text).toBe('from bob');
        expect(wb.messages().length).toBe(20);
      } finally {
        for (const client of [a, b, c]) client.disconnect();
      }
    });

    it('recovery: a subscriber that misses 50 messages resumes with recovered=true and gets exactly those', async () => {
      const room = `rec-${run}`;
      const channel = `chat:${room}`;
      const a = await stack.client(0, `alice-${run}`);
      const b = await stack.client(1, `bob-${run}`);
      const c = await stack.client(1, `carol-${run}`);
      try {
        const [, wb, wc] = [a, b, c].map((client) => watch(client.subscribe(channel))) as [
          ReturnType<typeof watch>,
          ReturnType<typeof watch>,
          ReturnType<typeof watch>,
        ];
        await Promise.all([wb, wc].map((w) => w.subscribed.next()));
        for (const client of [a, b, c]) await join(client, room);

        const before = ['one', 'two', 'three'];
        for (const text of before) await say(a, room, text);
        await expect.poll(() => wb.messages().length, WAIT).toBe(3);
        const position = wb.sub.position;
        expect(position?.offset).toBe(wb.messages()[2]?.offset);

        const gone = record(b, 'state');
        b.disconnect();
        await gone.next((s) => s.newState === 'disconnected');
        const missed = Array.from({ length: 50 }, (_, i) => `missed ${i}`);
        for (const text of missed) await say(a, room, text);
        // C (same node, still connected) has them all: the history service has appended every one.
        await expect.poll(() => wc.messages().length, WAIT).toBe(53);

        const backAt = wb.publications.seen.length;
        b.connect();
        const resumed = await wb.subscribed.next((s) => s.wasRecovering);
        expect(resumed.recovered).toBe(true);
        expect(resumed.position?.epoch).toBe(position?.epoch);
        await expect.poll(() => wb.messages().length, WAIT).toBe(53);

        // Barrier: one live message after the recovery; it must directly follow the recovered ones.
        await say(a, room, 'after');
        await expect.poll(() => wb.messages().length, WAIT).toBe(54);
        const afterResume = wb.messages().slice(3);
        expect(afterResume.map((m) => m.text)).toEqual([...missed, 'after']);
        expectConsecutive(wb.messages());
        expect(wb.publications.seen.slice(backAt).filter((p) => p.type === 'chat.message')).toHaveLength(51);
        expect(wb.subscribed.seen.map((s) => s.wasRecovering)).toEqual([false, true]);
      } finally {
        for (const client of [a, b, c]) client.disconnect();
      }
    });

    it('notifications: an order event for an offline user waits in the inbox until acked, once per event id', async () => {
      const user = `dora-${run}`;
      const orderId = `order-${run}`;
      const orderSystem = await stack.transport('orders');
      const receipts: { status: string; notificationId: string; eventId: string; connectionId: string }[] =
        [];
      const reader = await orderSystem.consumeWork(
        RECEIPTS_TOPIC,
        { group: `receipts-it-${run}`, ordered: true },
        async (message: WorkMessage) => {
          const receipt = decodeDeliveryReceipt(message.bytes);
          if (receipt.userId !== user) return;
          receipts.push({
            status: ReceiptStatus[receipt.status] as string,
            notificationId: receipt.notificationId,
            eventId: receipt.eventId,
            connectionId: receipt.connectionId,
          });
        },
      );
      const publish = (event: IOrderEvent) =>
        orderSystem.publishWork(ORDERS_TOPIC, user, encodeOrderEvent(event));
      const of = (status: string, eventId?: string) =>
        receipts.filter((r) => r.status === status && (eventId === undefined || r.eventId === eventId));
      const clients: Client[] = [];
      /** A fresh app session of the user (its own SDK client, so no push dedup carries over). */
      const session = async () => {
        const client = await stack.client(1, user);
        clients.push(client);
        const pushes = record(client, 'push');
        const connectionId = client.connection?.connectionId as string;
        return { client, pushes, connectionId };
      };
      try {
        const created = `${run}-created`;
        const paid = `${run}-paid`;
        await publish({
          eventId: created,
          orderId,
          userId: user,
          timeMs: 1,
          created: { totalCents: 4_250, currency: 'EUR', items: 2 },
        });
        await publish({
          eventId: created,
          orderId,
          userId: user,
          timeMs: 1,
          created: { totalCents: 4_250, currency: 'EUR', items: 2 },
        });
        await publish({
          eventId: paid,
          orderId,
          userId: user,
          timeMs: 2,
          paid: { amountCents: 4_250, currency: 'EUR', method: 'card' },
        });
        // Receipts of one order are keyed by it: STORED of `paid` comes after whatever the duplicate made.
        await expect.poll(() => of('STORED', paid).length, WAIT).toBe(1);
        expect(of('STORED').map((r) => r.eventId)).toEqual([created, paid]);
        expect(of('DELIVERED')).toEqual([]);
        const [first, second] = of('STORED').map((r) => r.notificationId) as [string, string];

        // First connect: both unacked notifications, in order, each once; nothing acked.
        const s1 = await session();
        await s1.pushes.next((p) => p.id === second);
        expect(s1.pushes.seen.map((p) => [p.id, p.type, p.requiresAck])).toEqual([
          [first, 'order.created', true],
          [second, 'order.paid', true],
        ]);
        expect(parse<{ orderId: string }>(s1.pushes.seen[0]!.payload).orderId).toBe(orderId);
        await expect.poll(() => of('DELIVERED').length, WAIT).toBe(2);
        s1.client.disconnect();

        // Reconnect without acking: delivered again; now ack the first one only.
        const s2 = await session();
        await s2.pushes.next((p) => p.id === second);
        expect(s2.pushes.seen.map((p) => p.id)).toEqual([first, second]);
        s2.client.ack(first);
        await expect.poll(() => of('ACKED').length, WAIT).toBe(1);
        s2.client.disconnect();

        // Reconnect: the acked one is gone; the unacked one (pushed after it would be) still comes.
        const s3 = await session();
        await s3.pushes.next((p) => p.id === second);
        expect(s3.pushes.seen.map((p) => p.id)).toEqual([second]);
        s3.client.ack(second);
        await expect.poll(() => of('ACKED').length, WAIT).toBe(2);

        const trail = (id: string) =>
          receipts.filter((r) => r.notificationId === id).map((r) => [r.status, r.connectionId]);
        expect(trail(first)).toEqual([
          ['STORED', ''],
          ['DELIVERED', s1.connectionId],
          ['DELIVERED', s2.connectionId],
          ['ACKED', s2.connectionId],
        ]);
        expect(trail(second)).toEqual([
          ['STORED', ''],
          ['DELIVERED', s1.connectionId],
          ['DELIVERED', s2.connectionId],
          ['DELIVERED', s3.connectionId],
          ['ACKED', s3.connectionId],
        ]);
      } finally {
        for (const client of clients) client.disconnect();
        await reader.close();
      }
    });

    it('two chat instances share the inbound work, each room still in order', async () => {
      const second = await stack.addChatInstance();
      const [first] = stack.chats as [(typeof stack.chats)[0]];
      const firstBefore = first.handled.length;
      const a = await stack.client(0, `alice-${run}`);
      const b = await stack.client(1, `bob-${run}`);
      try {
        const rooms = Array.from({ length: 8 }, (_, i) => `share-${run}-${i}`);
        const watched = new Map(rooms.map((room) => [room, watch(b.subscribe(`chat:${room}`))]));
        await Promise.all([...watched.values()].map((w) => w.subscribed.next()));
        const sentTexts = new Map<string, string[]>(rooms.map((room) => [room, []]));
        /** One message to every room at once; rounds follow each other, so each room's order is fixed. */
        const round = async (n: number) => {
          await Promise.all(
            rooms.map(async (room) => {
              const text = `round ${n}`;
              sentTexts.get(room)?.push(text);
              await say(a, room, text);
            }),
          );
        };
        let rounds = 0;
        while (rounds < 5) await round(rounds++);
        // 40 sends. If the second instance's share was still being assigned, keep going (bounded).
        while (second.handled.length === 0 && rounds < 60) await round(rounds++);
        const handledBy = (chat: typeof first) => chat.handled.length - (chat === first ? firstBefore : 0);
        expect(handledBy(first)).toBeGreaterThan(0);
        expect(handledBy(second)).toBeGreaterThan(0);
        expect(handledBy(first) + handledBy(second)).toBe(rooms.length * rounds);
        for (const room of rooms) {
          const w = watched.get(room) as ReturnType<typeof watch>;
          await expect.poll(() => w.messages().length, WAIT).toBe(rounds);
          expect(w.messages().map((m) => m.text)).toEqual(sentTexts.get(room));
          expectConsecutive(w.messages());
        }
      } finally {
        for (const client of [a, b]) client.disconnect();
      }
    });

    it('presence: lists users on both nodes, and a silently dead node loses its users within the lease', async () => {
      const channel = `presence-lobby-${run}`;
      const p1 = `paula-${run}`;
      const p2 = `pedro-${run}`;
      const a = await stack.client(0, p1);
      const b = await stack.client(1, p2);
      try {
        const wa = watch(a.subscribe(channel));
        const wb = watch(b.subscribe(channel));
        await Promise.all([wa.subscribed.next(), wb.subscribed.next()]);
        const users = async () => (await a.presence(channel)).clients.map((client) => client.userId).sort();
        await expect.poll(users, WAIT).toEqual([p1, p2].sort());
        expect((await b.presence(channel)).clients.map((client) => client.connectionId).sort()).toEqual(
          [a.connection?.connectionId, b.connection?.connectionId].sort(),
        );

        await stack.killNode(1);
        // Nobody calls sweep(): the presence service's own timer expires the silent node.
        const leave = await wa.leaves.next((l) => l.info?.userId === p2);
        expect(leave.info?.connectionId).toBe(b.connection?.connectionId);
        expect(await users()).toEqual([p1]);
        // The dead node's client never noticed: its socket to the hung node is still open.
        expect(b.state).toBe('connected');
      } finally {
        for (const client of [a, b]) client.disconnect();
      }
    });
  });
}
