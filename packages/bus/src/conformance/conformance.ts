/**
 * The one suite every Transport passes, on a real broker. `setup` gives a handle on the broker: `connect()`
 * opens a new transport, as a new process would; `restart()` stops and starts the broker itself.
 *
 * Absence is proven without sleeping: after the message that must NOT arrive, a marker is sent on a route
 * the node does want; per-publisher order means that once the marker is in, the other would have been too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopicBoundsOption } from '../backlog.js';
import { BusClosedError, BusError } from '../errors.js';
import { allRoute, channelRoute, nodeRoute, userRoute } from '../routes.js';
import type { Closable, DeadLetter, NodeSubscription, Route, Transport, WorkMessage } from '../transport.js';
import { registerAgeCase, registerBacklogCases } from './backlog-cases.js';
import { OrderProbe } from './order-probe.js';
import { registerPublishCases } from './publish-cases.js';
import { bytes, sleep, text, uniqueName, waitFor } from './wait.js';

/** Per-transport options of a conformance case's transport (each overrides the transport's own). */
export interface ConformanceConnectOptions {
  /** The outage case's short publish timeout. */
  readonly publishTimeoutMs?: number;
  /** The backlog cases' bounds (backlog.ts). */
  readonly topicBounds?: TopicBoundsOption;
}

/** What a transport can do; cases for what it cannot are not registered (and are tested elsewhere). */
export interface ConformanceCapabilities {
  /** Bounds a topic's backlog by message count (backlog-cases.ts). Kafka cannot. Default true. */
  readonly boundsMessageCount?: boolean;
  /** Drops messages older than a topic's maxAgeMs while nobody reads them. Memory and Kafka do not. Default true. */
  readonly boundsAge?: boolean;
}

export interface ConformanceBroker {
  /** A new transport with `options` applied. */
  connect(options?: ConformanceConnectOptions): Promise<Transport>;
  /** Stops the broker and starts it again (same data); resolves when it accepts connections. */
  restart(): Promise<void>;
  /** Called once after the suite. */
  dispose?(): Promise<void>;
  /** How long to wait for one expected event; brokers with slow rebalances need more. Default 20 s. */
  readonly patienceMs?: number;
  /** False when restart() is simulated without any unavailability, so no publish can time out. Default true. */
  readonly outages?: boolean;
}

interface NodeProbe {
  readonly sub: NodeSubscription;
  readonly got: { route: Route; text: string }[];
}

export function runTransportConformance(
  name: string,
  setup: () => Promise<ConformanceBroker>,
  capabilities: ConformanceCapabilities = {},
): void {
  describe(`transport conformance: ${name}`, () => {
    let broker: ConformanceBroker;
    const opened: Transport[] = [];
    let patience = 20_000;

    const connect = async (options?: ConformanceConnectOptions) => {
      const transport = await broker.connect(options);
      opened.push(transport);
      return transport;
    };

    const openProbe = async (transport: Transport, node: string): Promise<NodeProbe> => {
      const got: NodeProbe['got'] = [];
      const sub = await transport.openNode(node, (data, route) => got.push({ route, text: text(data) }));
      return { sub, got };
    };

    const consume = async (
      transport: Transport,
      topic: string,
      group: string,
      handler: (message: WorkMessage) => Promise<void>,
      options: { ordered?: boolean; maxAttempts?: number; prefetch?: number } = {},
    ): Promise<Closable> => transport.consumeWork(topic, { group, ...options }, handler);

    beforeAll(async () => {
      broker = await setup();
      patience = broker.patienceMs ?? patience;
    }, 180_000);

    afterAll(async () => {
      for (const transport of opened) await transport.close().catch(() => undefined);
      await broker?.dispose?.();
    }, 60_000);

    it('gives each work message to exactly one instance of a group, and to every group', async () => {
      const topic = uniqueName('work');
      const [a, b, c] = [await connect(), await connect(), await connect()];
      const seenByInstance = { a: [] as string[], b: [] as string[] };
      const seenByOtherGroup: string[] = [];
      await consume(a, topic, 'svc', async (m) => void seenByInstance.a.push(text(m.bytes)), {
        ordered: false,
      });
      await consume(b, topic, 'svc', async (m) => void seenByInstance.b.push(text(m.bytes)), {
        ordered: false,
      });
      await consume(c, topic, 'audit', async (m) => void seenByOtherGroup.push(text(m.bytes)), {
        ordered: false,
      });
      const publisher = await connect();
      const sent = Array.from({ length: 100 }, (_, i) => `m${i}`);
      for (const [i, body] of sent.entries()) await publisher.publishWork(topic, `k${i % 10}`, bytes(body));

      const handled = () => [...seenByInstance.a, ...seenByInstance.b];
      await waitFor('all 100 messages handled by group svc', () => handled().length >= 100, patience);
      await waitFor(
        'all 100 messages handled by group audit',
        () => seenByOtherGroup.length >= 100,
        patience,
      );
      await sleep(300); // let any duplicate show up
      expect(handled().length).toBe(100);
      expect(new Set(handled())).toEqual(new Set(sent));
      expect(new Set(seenByOtherGroup)).toEqual(new Set(sent));
      expect(seenByOtherGroup.length).toBe(100);
    }, 120_000);

    it('fans a delivery out to every interested node and to no other', async () => {
      const [ta, tb, tc] = [await connect(), await connect(), await connect()];
      const [na, nb, nc] = [uniqueName('na'), uniqueName('nb'), uniqueName('nc')];
      const a = await openProbe(ta, na);
      const b = await openProbe(tb, nb);
      const c = await openProbe(tc, nc);
      const room = channelRoute(uniqueName('room'));
      const marker = channelRoute(uniqueName('marker'));
      const alice = userRoute(uniqueName('alice'));
      await a.sub.addInterest(room);
      await b.sub.addInterest(room);
      await a.sub.addInterest(alice);
      await c.sub.addInterest(marker);
      const publisher = await connect();

      await publisher.publishDelivery(room, bytes('to-room'));
      await publisher.publishDelivery(alice, bytes('to-alice'));
      await publisher.publishDelivery(nodeRoute(nb), bytes('to-node-b'));
      await publisher.publishDelivery(allRoute, bytes('to-all'));
      await publisher.publishDelivery(marker, bytes('marker'));

      await waitFor('node a: room, alice, all', () => a.got.length >= 3, patience);
      await waitFor('node b: room, node, all', () => b.got.length >= 3, patience);
      await waitFor('node c: all and marker', () => c.got.length >= 2, patience);
      await sleep(200);
      expect(a.got.map((g) => g.text).sort()).toEqual(['to-alice', 'to-all', 'to-room']);
      expect(b.got.map((g) => g.text).sort()).toEqual(['to-all', 'to-node-b', 'to-room']);
      expect(c.got.map((g) => g.text)).toEqual(['to-all', 'marker']);
      expect(a.got.find((g) => g.text === 'to-room')?.route).toEqual(room);

      // After the interest is gone, nothing more arrives for it.
      await a.sub.removeInterest(room);
      await a.sub.addInterest(marker);
      await publisher.publishDelivery(room, bytes('to-room-2'));
      await publisher.publishDelivery(marker, bytes('marker-2'));
      await waitFor('node a: second marker', () => a.got.some((g) => g.text === 'marker-2'), patience);
      await waitFor('node b: second room message', () => b.got.some((g) => g.text === 'to-room-2'), patience);
      expect(a.got.map((g) => g.text)).not.toContain('to-room-2');
    }, 120_000);

    it('keeps order per key across competing instances of a group', async () => {
      const topic = uniqueName('ordered');
      const [a, b] = [await connect(), await connect()];
      const events: string[] = [];
      const handler = async (m: WorkMessage) => {
        events.push(`start ${m.key} ${text(m.bytes)}`);
        await sleep(Math.random() * 4);
        events.push(`end ${m.key} ${text(m.bytes)}`);
      };
      await consume(a, topic, 'svc', handler, { ordered: true, prefetch: 8 });
      await consume(b, topic, 'svc', handler, { ordered: true, prefetch: 8 });
      const publisher = await connect();
      const keys = ['room-1', 'room-2', 'room-3', 'room-4'];
      const perKey = 40;
      for (let i = 0; i < perKey; i++) {
        for (const key of keys) await publisher.publishWork(topic, key, bytes(String(i)));
      }
      await waitFor(
        'all ordered messages handled',
        () => events.filter((e) => e.startsWith('end')).length >= perKey * keys.length,
        patience * 2,
      );
      for (const key of keys) {
        const mine = events.filter((e) => e.split(' ')[1] === key);
        const expected = Array.from({ length: perKey }, (_, i) => [
          `start ${key} ${i}`,
          `end ${key} ${i}`,
        ]).flat();
        expect(mine).toEqual(expected); // in order, and never two of one key at once
      }
    }, 180_000);

    it('shares ordered work between instances of a group', async () => {
      const topic = uniqueName('shared');
      const [a, b] = [await connect(), await connect()];
      const probe = new OrderProbe(['a', 'b'] as const, () => 1 + Math.random() * 3);
      const { handled, overlaps } = probe;
      await consume(a, topic, 'svc', probe.handler('a'), { ordered: true, prefetch: 16 });
      await consume(b, topic, 'svc', probe.handler('b'), { ordered: true, prefetch: 16 });
      const publisher = await connect();
      const keys = Array.from({ length: 64 }, (_, i) => `key-${i}`);
      let rounds = 0;
      const publishRound = async () => {
        const n = rounds++;
        for (const key of keys) await publisher.publishWork(topic, key, bytes(String(n)));
      };
      const by = (who: 'a' | 'b') => probe.by(who);
      const allHandled = () => {
        const seen = new Set(handled.map((h) => `${h.key} ${h.n}`));
        return keys.every((key) =>
          Array.from({ length: rounds }, (_, n) => `${key} ${n}`).every((k) => seen.has(k)),
        );
      };
      /** Per key, handlings come in publish order: a message only after every earlier one (replays allowed). */
      const expectPerKeyOrder = () => {
        for (const key of keys) {
          let next = 0;
          for (const { n } of handled.filter((h) => h.key === key)) {
            expect(n, `${key}: message ${n} handled before ${next}`).toBeLessThanOrEqual(next);
            if (n === next) next++;
          }
          expect(next).toBe(rounds);
        }
        expect(overlaps).toEqual([]);
      };

      // Both instances get a share. A slow rebalance may leave one idle at first: publish more until both
      // have handled something.
      for (let i = 0; i < 5; i++) await publishRound();
      const deadline = Date.now() + patience;
      while (!(by('a') > 0 && by('b') > 0) && Date.now() < deadline) {
        await sleep(1_000);
        if (!(by('a') > 0 && by('b') > 0)) await publishRound();
      }
      await waitFor('every message handled by the two instances', allHandled, patience * 2);
      expect(by('a')).toBeGreaterThan(0);
      expect(by('b')).toBeGreaterThan(0);
      expectPerKeyOrder();

      // One instance dies mid-stream: the survivor handles everything that is left, still in order per key.
      const before = handled.length;
      const publishing = (async () => {
        for (let i = 0; i < 5; i++) await publishRound();
      })();
      await waitFor('the second batch under way', () => handled.length >= before + keys.length, patience);
      probe.closing('a');
      const survivorBefore = by('b');
      await a.close();
      await publishing;
      await waitFor('every message handled after an instance closed', allHandled, patience * 3);
      expect(by('b')).toBeGreaterThan(survivorBefore);
      expectPerKeyOrder();
    }, 300_000);

    it('redelivers an unacked message to another instance after its consumer dies', async () => {
      const topic = uniqueName('redeliver');
      const doomed = await connect();
      let doomedGot: WorkMessage | undefined;
      await consume(doomed, topic, 'svc', (m) => {
        doomedGot = m;
        return new Promise<void>(() => undefined); // never acks
      });
      const publisher = await connect();
      await publisher.publishWork(topic, 'k', bytes('precious'));
      await waitFor('the doomed consumer to receive the message', () => doomedGot !== undefined, patience);

      const survivor = await connect();
      const survivorGot: WorkMessage[] = [];
      await consume(survivor, topic, 'svc', async (m) => void survivorGot.push(m));
      await doomed.close(); // dies without acking
      await waitFor('redelivery to the surviving instance', () => survivorGot.length > 0, patience * 2);
      expect(text(survivorGot[0]!.bytes)).toBe('precious');
      expect(survivorGot).toHaveLength(1);
    }, 180_000);

    it('dead-letters a poison message after maxAttempts and keeps handling the rest', async () => {
      const topic = uniqueName('poison');
      const transport = await connect();
      const attempts: number[] = [];
      const good: string[] = [];
      await consume(
        transport,
        topic,
        'svc',
        async (m) => {
          if (text(m.bytes) === 'poison') {
            attempts.push(m.attempt);
            throw new Error('cannot handle poison');
          }
          good.push(text(m.bytes));
        },
        { maxAttempts: 3 },
      );
      const letters: DeadLetter[] = [];
      await transport.consumeDeadLetters(topic, 'svc', async (letter) => void letters.push(letter));
      const publisher = await connect();
      await publisher.publishWork(topic, 'a', bytes('poison'));
      await publisher.publishWork(topic, 'b', bytes('fine-1'));
      await publisher.publishWork(topic, 'a', bytes('fine-2'));
      await waitFor('the dead letter', () => letters.length > 0, patience * 2);
      await waitFor('the good messages', () => good.length >= 2, patience);
      expect(attempts).toEqual([1, 2, 3]);
      expect(letters).toHaveLength(1);
      expect(text(letters[0]!.bytes)).toBe('poison');
      expect(letters[0]!.attempts).toBe(3);
      expect(letters[0]!.error).toContain('cannot handle poison');
      expect(letters[0]!.key).toBe('a');
      expect(good.sort()).toEqual(['fine-1', 'fine-2']);
    }, 180_000);

    it('recovers after the broker restarts, losing no acknowledged message', async () => {
      const topic = uniqueName('restart');
      const consumer = await connect();
      const handled = new Set<string>();
      await consume(consumer, topic, 'svc', async (m) => void handled.add(text(m.bytes)));
      const edge = await connect();
      const probe = await openProbe(edge, uniqueName('edge'));
      const room = channelRoute(uniqueName('room'));
      await probe.sub.addInterest(room);
      const publisher = await connect();

      const confirmed: string[] = [];
      for (let i = 0; i < 20; i++) {
        await publisher.publishWork(topic, `k${i % 3}`, bytes(`before-${i}`));
        confirmed.push(`before-${i}`);
      }
      await broker.restart();

      // Publishing right after a restart either waits for the reconnect and succeeds, or fails loudly.
      for (let i = 0; i < 20; i++) {
        const body = `after-${i}`;
        try {
          await publisher.publishWork(topic, `k${i % 3}`, bytes(body));
          confirmed.push(body);
        } catch (error) {
          expect(error).toBeInstanceOf(BusError);
          i--; // a loud failure is allowed; the caller retries
          await sleep(250);
        }
      }
      await waitFor(
        'every confirmed message handled after the restart',
        () => confirmed.every((body) => handled.has(body)),
        patience * 3,
      );

      // Fan-out works again: the node's interest was re-declared on the new broker connection.
      await waitFor(
        'a delivery to the re-bound node',
        () => {
          void publisher.publishDelivery(room, bytes('after-restart')).catch(() => undefined);
          return probe.got.some((g) => g.text === 'after-restart');
        },
        patience * 3,
        500,
      );
    }, 300_000);

    registerPublishCases({
      connect,
      openProbe,
      consume,
      restart: () => broker.restart(),
      outages: () => broker.outages ?? true,
      patience: () => patience,
    });

    if (capabilities.boundsMessageCount ?? true)
      registerBacklogCases({ connect, consume, patience: () => patience });
    if (capabilities.boundsAge ?? true) registerAgeCase({ connect, consume, patience: () => patience });

    it('releases every resource on close and refuses use afterwards', async () => {
      // Close everything the other cases opened, so only this transport changes the count.
      for (const transport of opened.splice(0)) await transport.close();
      await sleep(500);
      const before = countResources();
      const transport = await broker.connect();
      await transport.consumeWork(uniqueName('close'), { group: 'svc' }, async () => undefined);
      const node = await transport.openNode(uniqueName('n'), () => undefined);
      await node.addInterest(channelRoute('x'));
      await transport.publishWork(uniqueName('close'), 'k', bytes('x'));
      await transport.close();
      await transport.close(); // idempotent
      await waitFor('sockets and timers released', () => countResources() <= before, patience);
      await expect(transport.publishWork('t', 'k', bytes('x'))).rejects.toBeInstanceOf(BusClosedError);
      await expect(transport.publishDelivery(allRoute, bytes('x'))).rejects.toBeInstanceOf(BusClosedError);
    }, 120_000);
  });
}

/** Sockets and timers held by the process (what keeps it alive when a transport leaks). */
function countResources(): number {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind === 'TCPSocketWrap' || kind === 'Timeout' || kind === 'TCPWRAP').length;
}
