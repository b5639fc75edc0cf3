/**
 * The five failover tests of issue 6, written once and run per bus by rabbitmq.test.ts and kafka.test.ts.
 * Each test starts its own `pnpm topology` (fresh processes, fresh room and user names), injects one fault,
 * prints the measured recovery time and the message counts, and stops every process in `finally`.
 */

import { connect as tcpConnect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import type { Client, Publication, PushNotification } from '../../packages/client/src/index.js';
import { ServerError } from '../../packages/client/src/index.js';
import { itWithinBudget } from './budget.js';
import { type Brokers, type BusKind, hex, json, parse, sleep, Topology, waitFor } from './harness.js';

/** Clients of test 1 (the issue asks for 200; this machine copes, see the printed times). */
const CLIENTS = Number(process.env.FAILOVER_CLIENTS ?? 200);
const MESSAGES = 2_000;
const PUBLISH_CONCURRENCY = 4;

/**
 * Each test's budget (see budget.ts): about 4× what a test takes here under a full CI run (test 1 on
 * Kafka: ~40 s alone, ~70 s with both cores busy), so a slow machine passes and a hang still fails, naming
 * its step.
 */
const BUDGET_MS = {
  edgeKill: 300_000,
  brokerRestart: 240_000,
  redisRestart: 180_000,
  presence: 120_000,
  chatKill: 240_000,
};

const log = (kind: BusKind, test: string, fields: Record<string, unknown>) =>
  console.log(`[failover ${kind}] ${test}: ${JSON.stringify(fields)}`);

/** Subscribes and resolves once the subscription is active. */
async function subscribed(client: Client, channel: string) {
  const sub = client.subscribe(channel);
  if (sub.state !== 'subscribed')
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscribe ${channel}: no answer`)), 30_000);
      sub.once('subscribed', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  return sub;
}

export function failoverTests(kind: BusKind, start: () => Promise<Brokers>): void {
  describe(`failover on ${kind}`, () => {
    let brokers: Brokers;

    beforeAll(async () => {
      brokers = await start();
    });

    // A test that times out must not leave its services running into the next test (see downAll).
    afterEach(() => Topology.downAll());

    afterAll(async () => {
      await brokers?.stop();
    });

    itWithinBudget(
      `1. SIGKILL of one of two edges: ${CLIENTS} clients recover all ${MESSAGES} durable messages in order`,
      BUDGET_MS.edgeKill,
      async (steps) => {
        // Retention above the message count, so that a client's gap is always recoverable (the default 1000
        // would make recovery depend on how fast the publisher is while clients reconnect).
        const t = await Topology.up(brokers, { env: ['history:HISTORY_MAX_PER_CHANNEL=5000'] });
        try {
          const channel = `chat:fo1-${hex()}`;
          const received: { n: number; offset: number }[][] = [];
          const resubscribedAt: number[] = [];
          const recovered: boolean[] = [];
          const clients: Client[] = [];
          steps.step(`connecting ${CLIENTS} clients`, () => ({ connected: clients.length }));
          for (let from = 0; from < CLIENTS; from += 25) {
            const batch = Array.from({ length: Math.min(25, CLIENTS - from) }, (_, i) => from + i);
            await Promise.all(
              batch.map(async (i) => {
                const client = await t.connect(`u1-${i}`);
                clients[i] = client;
                received[i] = [];
                const sub = await subscribed(client, channel);
                sub.on('publication', (p: Publication) => {
                  if (p.type === 'fo.msg')
                    received[i]!.push({ n: parse(p.payload).n as number, offset: p.offset });
                });
                sub.on('subscribed', ({ recovered: ok, wasRecovering }) => {
                  resubscribedAt[i] = Date.now();
                  recovered[i] = wasRecovering && ok;
                });
              }),
            );
          }
          const victimNode = 'edge-1';
          const victims = clients.flatMap((c, i) => (c.connection?.nodeId === victimNode ? [i] : []));
          expect(victims.length).toBeGreaterThan(0);
          expect(victims.length).toBeLessThan(CLIENTS);

          // A few publishes in flight at once (each waits for its 202): the channel's order is the offsets the
          // history service assigns, so "in order, no gaps, no duplicates" is checked on offsets 1..N, and the
          // numbers must be every 1..N, in the same order for every client.
          const killAt = Math.floor(MESSAGES / 4);
          let killedAt = 0;
          let next = 1;
          let done = 0;
          const publishStarted = Date.now();
          steps.step(`publishing ${MESSAGES} messages, ${victimNode} killed after ${killAt}`, () => ({
            confirmed: done,
            killed: killedAt > 0,
          }));
          await Promise.all(
            Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
              while (next <= MESSAGES) {
                const n = next++;
                const r = await t.api('POST', '/v1/publish', {
                  channel,
                  type: 'fo.msg',
                  data: { n },
                  durable: true,
                });
                expect(r.status, JSON.stringify(r.json)).toBe(202);
                if (++done === killAt) {
                  await t.kill(victimNode);
                  killedAt = Date.now();
                }
              }
            }),
          );
          const publishMs = Date.now() - publishStarted;
          const short = () =>
            received.flatMap((r, i) => (r.length < MESSAGES ? [[i, r.length]] : [])).slice(0, 20);
          steps.step('waiting for every client to hold every message', () => ({ short: short() }));
          await waitFor(
            'every client to hold every message',
            () => received.every((r) => r.length >= MESSAGES),
            120_000,
            200,
          ).catch((error: unknown) => {
            throw new Error(`${String(error)}; short: ${JSON.stringify(short())}`);
          });
          const allDoneMs = Date.now() - killedAt;
          const expected = Array.from({ length: MESSAGES }, (_, k) => k + 1);
          const order = received[0]!.map((p) => p.n);
          expect([...order].sort((x, y) => x - y)).toEqual(expected);
          for (const [i, r] of received.entries()) {
            expect(
              r.map((p) => p.offset),
              `client ${i} offsets`,
            ).toEqual(expected);
            expect(
              r.map((p) => p.n),
              `client ${i} numbers`,
            ).toEqual(order);
          }
          for (const i of victims) {
            expect(clients[i]!.connection?.nodeId, `client ${i}`).toBe('edge-2');
            expect(recovered[i], `client ${i} recovered`).toBe(true);
          }
          const recoveryMs = Math.max(...victims.map((i) => resubscribedAt[i]! - killedAt));
          log(kind, 'test 1 edge kill', {
            clients: CLIENTS,
            onKilledEdge: victims.length,
            published: MESSAGES,
            publishMs,
            receivedPerClient: MESSAGES,
            totalReceived: received.reduce((sum, r) => sum + r.length, 0),
            recoveryMs,
            allCompleteAfterKillMs: allDoneMs,
          });
        } finally {
          await t.down();
        }
      },
    );

    itWithinBudget(
      '2. broker restart mid-stream: confirmed room messages and inbox notifications all arrive',
      BUDGET_MS.brokerRestart,
      async (steps) => {
        const t = await Topology.up(brokers);
        try {
          const channel = `chat:fo2-${hex()}`;
          const buyer = `u2-buyer-${hex()}`;
          steps.step('connecting 6 readers and a buyer');
          const readers = await Promise.all(Array.from({ length: 6 }, (_, i) => t.connect(`u2-${i}`)));
          const received: number[][] = readers.map(() => []);
          for (const [i, client] of readers.entries()) {
            const sub = await subscribed(client, channel);
            sub.on('publication', (p: Publication) => {
              if (p.type === 'fo.msg') received[i]!.push(parse(p.payload).n as number);
            });
          }
          expect(new Set(readers.map((c) => c.connection?.nodeId))).toEqual(new Set(['edge-1', 'edge-2']));
          const pushes = collectPushes(await t.connect(buyer), true);

          const confirmed: number[] = [];
          const confirmedOrders: string[] = [];
          let failed = 0;
          let stop = false;
          let restartedAt = 0;
          let firstConfirmedAfterRestart = 0;
          const counts = () => ({ confirmed: confirmed.length, failed, orders: confirmedOrders.length });
          steps.step('publishing before the restart', counts);
          const publisher = (async () => {
            for (let n = 1; !stop; n++) {
              const status = await t
                .api('POST', '/v1/publish', { channel, type: 'fo.msg', data: { n }, durable: true })
                .then((r) => r.status)
                .catch(() => 0);
              if (status === 202) {
                confirmed.push(n);
                if (restartedAt && !firstConfirmedAfterRestart) firstConfirmedAfterRestart = n;
              } else failed++;
              if (n % 5 === 0) {
                const orderStatus = await orderEvent(t, buyer, `o2-${n}`);
                if (orderStatus === 202) confirmedOrders.push(`o2-${n}`);
                else failed++;
              }
              await sleep(10);
            }
          })();
          await waitFor('50 confirmed publishes', () => confirmed.length >= 50, 30_000);
          const restartBegan = Date.now();
          steps.step(`restarting ${kind}`, counts);
          await brokers.restartBroker();
          restartedAt = Date.now();
          steps.step('publishing after the restart', () => ({ ...counts(), firstConfirmedAfterRestart }));
          await waitFor(
            '50 publishes confirmed after the restart',
            () => {
              const i = confirmed.indexOf(firstConfirmedAfterRestart);
              return firstConfirmedAfterRestart > 0 && confirmed.length - i >= 50;
            },
            120_000,
          ).finally(() => {
            stop = true;
          });
          steps.step("the publisher's last request", counts);
          await publisher;
          const publishResumedMs = Date.now() - restartBegan;
          const missing = () => ({
            perReader: received.map((r) => confirmed.filter((n) => !r.includes(n)).slice(0, 10)),
            orders: confirmedOrders.filter((o) => !pushes.orders.includes(o)),
          });
          steps.step('waiting for every confirmed message and notification', missing);

          await waitFor(
            'every confirmed message and notification to arrive',
            () =>
              received.every((r) => confirmed.every((n) => r.includes(n))) &&
              confirmedOrders.every((o) => pushes.orders.includes(o)),
            90_000,
            200,
          ).catch((error: unknown) => {
            throw new Error(`${String(error)}; missing: ${JSON.stringify(missing())}`);
          });
          const allDeliveredMs = Date.now() - restartBegan;
          for (const [i, r] of received.entries()) {
            // In order, nothing twice; unconfirmed publishes may or may not have made it.
            expect(r, `reader ${i}`).toEqual([...new Set(r)].sort((a, b) => a - b));
          }
          expect(pushes.duplicates).toBe(0);
          log(kind, 'test 2 broker restart', {
            published: confirmed.length + failed,
            confirmedMessages: confirmed.length,
            confirmedNotifications: confirmedOrders.length,
            notConfirmed: failed,
            receivedPerReader: received.map((r) => r.length),
            notificationsReceived: pushes.orders.length,
            brokerRestartMs: restartedAt - restartBegan,
            publishResumedAfterMs: publishResumedMs,
            allDeliveredAfterMs: allDeliveredMs,
          });
        } finally {
          await t.down();
        }
      },
    );

    itWithinBudget(
      '4. Redis restart: services reconnect and the inbox keeps an unacked notification',
      BUDGET_MS.redisRestart,
      async (steps) => {
        // AOF on (the setting users need for an inbox that survives a crash, see docs/operations.md);
        // restart() also stops Redis gracefully, which writes the data out either way.
        await redisCommand(brokers.redis.url, 'CONFIG', 'SET', 'appendonly', 'yes');
        await waitFor(
          'the AOF rewrite',
          async () => {
            const info = await redisCommand(brokers.redis.url, 'INFO', 'persistence');
            return /aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info);
          },
          20_000,
          100,
        );
        const t = await Topology.up(brokers);
        try {
          const user = `u4-${hex()}`;
          const channel = `chat:fo4-${hex()}`;
          steps.step('a notification and 5 messages before the restart');
          const first = await t.connect(user);
          const before = collectPushes(first, false); // not acked: stays in the inbox
          expect(await orderEvent(t, user, 'o4-before')).toBe(202);
          await waitFor('the first notification', () => before.orders.includes('o4-before'), 30_000);
          for (let n = 1; n <= 5; n++)
            expect(
              (await t.api('POST', '/v1/publish', { channel, type: 'fo.msg', data: { n }, durable: true }))
                .status,
            ).toBe(202);
          await waitFor(
            '5 messages in history',
            async () => {
              const r = await t.api('GET', `/v1/history/${encodeURIComponent(channel)}`);
              return r.status === 200 && (r.json as { publications: unknown[] }).publications.length === 5;
            },
            30_000,
            200,
          );
          first.disconnect();

          const began = Date.now();
          steps.step('restarting Redis');
          await restartRedis(brokers);
          const restartMs = Date.now() - began;

          // After the restart: a new event is stored and the old unacked one is replayed on connect.
          let afterStatus = 0;
          steps.step('an order event accepted after the restart', () => ({ lastStatus: afterStatus }));
          await waitFor(
            'an order event accepted after the restart',
            async () => {
              afterStatus = await orderEvent(t, user, 'o4-after');
              return afterStatus === 202;
            },
            30_000,
            500,
          );
          steps.step('connecting the user again');
          const second = await t.connect(user);
          const after = collectPushes(second, true);
          steps.step('both notifications on the new connection', () => ({ got: after.orders }));
          await waitFor(
            'both notifications on the new connection',
            () => after.orders.includes('o4-before') && after.orders.includes('o4-after'),
            60_000,
            100,
          );
          const inboxMs = Date.now() - began;
          // Chat and history work against the restarted Redis; the offsets go on from the kept log.
          steps.step('a sixth message after the restart');
          const reader = await t.connect(`u4-reader-${hex()}`);
          const got: number[] = [];
          const sub = await subscribed(reader, channel);
          sub.on('publication', (p: Publication) => {
            if (p.type === 'fo.msg') got.push(p.offset);
          });
          expect(
            (await t.api('POST', '/v1/publish', { channel, type: 'fo.msg', data: { n: 6 }, durable: true }))
              .status,
          ).toBe(202);
          await waitFor('the sixth message', () => got.length > 0, 30_000);
          expect(got).toEqual([6]);
          const history = await t.api('GET', `/v1/history/${encodeURIComponent(channel)}`);
          expect(
            (history.json as { publications: { offset: number }[] }).publications.map((p) => p.offset),
          ).toEqual([1, 2, 3, 4, 5, 6]);
          log(kind, 'test 4 redis restart', {
            redisRestartMs: restartMs,
            unackedNotificationsKept: 1,
            notificationsAfterRestart: after.orders.length,
            inboxDeliveredAfterMs: inboxMs,
            historyOffsets: 6,
          });
        } finally {
          await t.down();
        }
      },
    );

    itWithinBudget(
      '5. presence: a killed edge’s users leave presence within the lease',
      BUDGET_MS.presence,
      async (steps) => {
        const leaseMs = 3_000;
        const t = await Topology.up(brokers, {
          env: [
            `presence:PRESENCE_LEASE_MS=${leaseMs}`,
            'presence:PRESENCE_SWEEP_MS=500',
            // The edge announces three heartbeats as its lease: 3 × 1000 ms = the configured 3000 ms.
            'edge:SWITCHBOARD_NODE_HEARTBEAT_MS=1000',
          ],
        });
        try {
          const channel = `presence-fo5-${hex()}`;
          const clients: Client[] = [];
          steps.step('connecting 12 members', () => ({ connected: clients.length }));
          for (let i = 0; i < 12; i++) {
            const client = await t.connect(`u5-${i}`);
            await subscribed(client, channel);
            clients.push(client);
          }
          const members = async () => {
            const r = await t.api('GET', `/v1/presence/${channel}`);
            if (r.status !== 200) return undefined;
            return new Set(
              ((r.json as { clients: { connectionId: string }[] }).clients ?? []).map((c) => c.connectionId),
            );
          };
          const ids = (node: string) =>
            clients.filter((c) => c.connection?.nodeId === node).map((c) => c.connection!.connectionId);
          const victims = ids('edge-1');
          const survivors = ids('edge-2');
          expect(victims.length).toBeGreaterThan(0);
          expect(survivors.length).toBeGreaterThan(0);
          steps.step('every client in presence');
          await waitFor(
            'every client in presence',
            async () => {
              const m = await members();
              return m && [...victims, ...survivors].every((id) => m.has(id));
            },
            20_000,
            200,
          );
          // The victims' clients would reconnect through nginx and join again under new connection ids;
          // stop them so that presence shows only what the lease removes.
          steps.step('killing edge-1');
          await t.kill('edge-1');
          const killedAt = Date.now();
          steps.step("the killed edge's users to leave presence");
          for (const c of clients) if (victims.includes(c.connection?.connectionId ?? '')) c.disconnect();
          const bound = leaseMs + 10_000;
          const gone = await waitFor(
            "the killed edge's users to leave presence",
            async () => {
              const m = await members();
              return m && victims.every((id) => !m.has(id)) ? m : undefined;
            },
            bound,
            100,
          );
          const goneMs = Date.now() - killedAt;
          for (const id of survivors) expect(gone?.has(id), `survivor ${id}`).toBe(true);
          log(kind, 'test 5 presence lease', {
            leaseMs,
            onKilledEdge: victims.length,
            onSurvivingEdge: survivors.length,
            removedAfterMs: goneMs,
            boundMs: bound,
          });
        } finally {
          await t.down();
        }
      },
    );

    // Last: on Kafka the killed instance stays a member of the chat consumer group until its session times
    // out (30 s), which would hold up the start of the next test's topology.
    itWithinBudget(
      '3. SIGKILL of a chat instance with work in flight: every request gets a reply or an error reply',
      BUDGET_MS.chatKill,
      async (steps) => {
        const t = await Topology.up(brokers, {
          replicas: ['chat=2'],
          env: [
            'chat:CHAT_RATE_PER_USER_PER_SECOND=1000',
            'chat:CHAT_RATE_BURST=1000',
            // Each user fires all its sends at once; the per-connection bound on requests awaiting an answer
            // (32 by default, tested in services/edge) is not what this test is about.
            'edge:SWITCHBOARD_MAX_PENDING_REQUESTS=1000',
          ],
        });
        try {
          const users = 10;
          const perUser = 40;
          const tag = hex();
          steps.step(`connecting ${users} users and joining their rooms`);
          const clients = await Promise.all(Array.from({ length: users }, (_, i) => t.connect(`u3-${i}`)));
          const rooms = clients.map((_, i) => `fo3-${tag}-${i}`);
          for (const [i, client] of clients.entries()) {
            const reply = await client.request('chat', 'chat.join', json({ room: rooms[i] }), {
              timeoutMs: 20_000,
            });
            expect(reply.type).toBe('chat.joined');
          }
          const outcomes: { kind: 'sent' | 'server-error' | 'silence'; code?: string; at: number }[] = [];
          let settled = 0;
          const requests = clients.flatMap((client, i) =>
            Array.from({ length: perUser }, (_, k) =>
              client
                .request(
                  'chat',
                  'chat.send',
                  json({ room: rooms[i], text: `m-${k}`, clientMsgId: `${tag}-${i}-${k}` }),
                  { timeoutMs: 30_000 },
                )
                .then(
                  (reply) => {
                    outcomes.push({
                      kind: reply.type === 'chat.sent' ? 'sent' : 'server-error',
                      at: Date.now(),
                    });
                  },
                  (error: unknown) => {
                    outcomes.push(
                      error instanceof ServerError
                        ? { kind: 'server-error', code: error.code, at: Date.now() }
                        : {
                            kind: 'silence',
                            code: String((error as { code?: string }).code),
                            at: Date.now(),
                          },
                    );
                  },
                )
                .finally(() => settled++),
            ),
          );
          const total = users * perUser;
          // Kill as soon as the first answers come back: the rest is queued or in a handler.
          const answers = () => ({ settled, total, outcomes: outcomes.length });
          steps.step('the first replies', answers);
          await waitFor('the first replies', () => settled >= 1, 30_000, 5);
          await t.kill('chat');
          const killedAt = Date.now();
          const inFlightAtKill = total - settled;
          steps.step('every request answered after the kill', answers);
          await Promise.all(requests);
          const lastAnswerMs = Math.max(...outcomes.map((o) => o.at)) - killedAt;
          const sent = outcomes.filter((o) => o.kind === 'sent').length;
          const errors = outcomes.filter((o) => o.kind === 'server-error');
          const silent = outcomes.filter((o) => o.kind === 'silence');
          expect(inFlightAtKill).toBeGreaterThan(0);
          expect(outcomes.length).toBe(total);
          expect(silent, JSON.stringify(silent.slice(0, 5))).toEqual([]);
          // The survivor handled the killed instance's work: every message is in its room (the ones answered
          // with an error too, once redelivered). At least once, not exactly once: the chat service publishes
          // before it records the clientMsgId (services/chat/src/chat-service.ts), so a message whose handler
          // was killed between the two is published again by the survivor. Counted and printed, not failed.
          let historyComplete = 0;
          let duplicates = 0;
          steps.step('every message in its room');
          await waitFor(
            'every message in its room',
            async () => {
              const texts = await Promise.all(rooms.map((room) => historyTexts(t, `chat:${room}`)));
              duplicates = texts.reduce((sum, list) => sum + list.length - new Set(list).size, 0);
              return texts.every((list) =>
                Array.from({ length: perUser }, (_, k) => `m-${k}`).every((m) => list.includes(m)),
              );
            },
            90_000,
            500,
          );
          historyComplete = Date.now() - killedAt;
          log(kind, 'test 3 chat instance kill', {
            requests: total,
            inFlightAtKill,
            replies: sent,
            errorReplies: errors.length,
            errorCodes: [...new Set(errors.map((e) => e.code))],
            silence: silent.length,
            republishedAfterKill: duplicates,
            lastAnswerAfterKillMs: lastAnswerMs,
            allInHistoryAfterKillMs: historyComplete,
          });
        } finally {
          await t.down();
        }
      },
    );
  });
}

/** Texts of the `chat.message` publications kept for `channel` (GET /v1/history through the API). */
async function historyTexts(t: Topology, channel: string): Promise<string[]> {
  const r = await t.api('GET', `/v1/history/${encodeURIComponent(channel)}?limit=1000`);
  if (r.status !== 200) throw new Error(`history ${channel}: ${r.status} ${JSON.stringify(r.json)}`);
  const pubs = (r.json as { publications: { type: string; data?: { text?: string } }[] }).publications;
  return pubs.filter((p) => p.type === 'chat.message').map((p) => p.data?.text ?? '');
}

/** Posts an order event for `userId`; resolves to the HTTP status (0 when the request itself failed). */
async function orderEvent(t: Topology, userId: string, orderId: string): Promise<number> {
  try {
    const r = await t.api('POST', '/v1/orders/events', {
      eventId: `ev-${orderId}`,
      orderId,
      userId,
      kind: 'cancelled',
      details: { reason: 'failover test' },
    });
    return r.status;
  } catch {
    return 0;
  }
}

/** Collects the order ids of a client's pushes (each once), acking them when `ack` is set. */
function collectPushes(client: Client, ack: boolean): { orders: string[]; duplicates: number } {
  const seen = { orders: [] as string[], duplicates: 0 };
  client.on('push', (n: PushNotification) => {
    const orderId = String(parse(n.payload).orderId);
    if (seen.orders.includes(orderId)) seen.duplicates++;
    else seen.orders.push(orderId);
    if (ack) client.ack(n.id);
  });
  return seen;
}

/**
 * Restarts Redis and resolves once a new server process answers (another run_id, data loaded). The
 * container handle's own wait (its "Ready to accept connections" log line) sometimes misses the line on
 * Podman and waits out its 60 s; the new run_id is the proof that matters here, so whichever comes first.
 */
async function restartRedis(brokers: Brokers): Promise<void> {
  const runId = async () => {
    const info = await redisCommand(brokers.redis.url, 'INFO', 'server').catch(() => '');
    const loading = await redisCommand(brokers.redis.url, 'INFO', 'persistence').catch(() => 'loading:1');
    return /loading:0/.test(loading) ? /run_id:(\w+)/.exec(info)?.[1] : undefined;
  };
  const before = await runId();
  if (!before) throw new Error('Redis does not answer before the restart');
  let failure: unknown;
  let finished = false;
  const restarting = brokers.redis.restart().then(
    () => {
      finished = true;
    },
    (error: unknown) => {
      failure = error;
      finished = true;
    },
  );
  await waitFor(
    'Redis to come back with a new run_id',
    async () => {
      const now = await runId();
      if (now && now !== before) return true;
      if (finished && failure === undefined) throw new Error('Redis restarted but kept its run_id');
      return false;
    },
    60_000,
    50,
  );
  if (failure !== undefined)
    console.warn(`[failover] redis restart wait: ${String(failure)} (server is back)`);
  void restarting;
}

/** One Redis command over RESP (no client library at the root); resolves to the raw reply text. */
function redisCommand(url: string, ...args: string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    let reply = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('redis: no reply')));
    socket.on('connect', () =>
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    );
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (!bulk || reply.length >= bulk[0].length + Number(bulk[1]) + 2) {
        socket.end();
        if (reply.startsWith('-')) reject(new Error(`redis ${args[0]}: ${reply.trim()}`));
        else resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}
