/**
 * Kafka cluster drill (issue 16, drill 2): three brokers (test/support/kafka-cluster.ts), the transport on
 * all three (replication 3, min.insync.replicas 2 by default for a 3-broker cluster), a steady stream of
 * keyed work messages (8 keys, one work consumer group) and of deliveries to one node inbox. Mid-stream the
 * leader of `sb.deliveries` is SIGKILLed; once the stream is back and the node restarted, the leader of the
 * work topic's partition 0 is SIGKILLed too. What must hold:
 * - every publish settles: confirmed, or refused with a bus error (none left hanging);
 * - every confirmed work message is handled and every confirmed delivery reaches the inbox (0 lost);
 * - per key, work messages are handled in publish order (a redelivery of one already handled is counted as
 *   a duplicate, not as a reorder);
 * - no record is in a topic's log twice: the producer is idempotent, so a send retried after the leader died
 *   is not written again (the log is read back at the end; "handled twice" can still happen on the consuming
 *   side, e.g. offsets not committed before a rebalance);
 * and the figures printed: per kill, how long until a publish was confirmed again and until a message
 * published after the kill was handled / delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaTransport } from '../../packages/bus/src/kafka/index.js';
import { nodeRoute } from '../../packages/bus/src/routes.js';
import { kafkajs, QUICK_GROUP_TIMINGS } from '../support/kafka-broker.js';
import { type KafkaCluster, startKafkaCluster } from '../support/kafka-cluster.js';

const KEYS = 8;
const EVERY_MS = 20;
const TOPIC = 'drill';
const NODE = 'edge-drill';

interface Sent {
  readonly seq: number;
  readonly at: number;
  outcome?: 'confirmed' | 'refused';
  settledAt?: number;
}

const encode = (seq: number) => new TextEncoder().encode(String(seq));
const decode = (bytes: Uint8Array) => Number(new TextDecoder().decode(bytes));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every record's seq in `topic`'s log, all partitions, read back from the beginning. */
async function readLog(brokers: string[], topic: string): Promise<number[]> {
  const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId: `drill-audit-${Date.now()}` });
  const seqs: number[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) seqs.push(decode(message.value));
      },
    });
    await waitFor(`${total} records of ${topic} read back`, () => seqs.length >= total, 90_000);
  } finally {
    await consumer.disconnect();
  }
  return seqs;
}

const writtenTwice = (seqs: number[]) => seqs.length - new Set(seqs).size;

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('Kafka cluster: SIGKILL a partition leader mid-stream (issue 16)', () => {
  let cluster: KafkaCluster;
  const transports: KafkaTransport[] = [];
  const transport = () => {
    const t = new KafkaTransport({
      brokers: cluster.brokers,
      ...QUICK_GROUP_TIMINGS,
      publishTimeoutMs: 10_000,
    });
    transports.push(t);
    return t;
  };

  beforeAll(async () => {
    cluster = await startKafkaCluster(3);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
    await cluster?.stop();
  }, 60_000);

  it('loses no confirmed message, keeps per-key order, settles every publish', async () => {
    const publisher = transport();
    const consumer = transport();
    const edge = transport();

    const handled = new Map<string, number[]>(); // key -> seqs in handling order
    const handledAt = new Map<number, number>();
    await consumer.consumeWork(TOPIC, { group: 'drill' }, async (message) => {
      const seq = decode(message.bytes);
      const list = handled.get(message.key) ?? [];
      list.push(seq);
      handled.set(message.key, list);
      if (!handledAt.has(seq)) handledAt.set(seq, Date.now());
    });
    const delivered = new Map<number, number>(); // seq -> first arrival
    const inbox = await edge.openNode(NODE, (bytes) => {
      const seq = decode(bytes);
      if (!delivered.has(seq)) delivered.set(seq, Date.now());
    });

    const work: Sent[] = [];
    const deliveries: Sent[] = [];
    const errors: string[] = [];
    let seq = 0;
    let streaming = true;
    const settle = (sent: Sent, promise: Promise<void>) =>
      promise.then(
        () => {
          sent.outcome = 'confirmed';
          sent.settledAt = Date.now();
        },
        (error: unknown) => {
          sent.outcome = 'refused';
          sent.settledAt = Date.now();
          errors.push(String((error as Error)?.name ?? error));
        },
      );
    const pending: Promise<void>[] = [];
    const stream = (async () => {
      while (streaming) {
        seq++;
        const w: Sent = { seq, at: Date.now() };
        work.push(w);
        pending.push(settle(w, publisher.publishWork(TOPIC, `k${seq % KEYS}`, encode(seq))));
        const d: Sent = { seq, at: Date.now() };
        deliveries.push(d);
        pending.push(settle(d, publisher.publishDelivery(nodeRoute(NODE), encode(seq))));
        await sleep(EVERY_MS);
      }
    })();

    const figures: Record<string, unknown>[] = [];
    const killLeader = async (topic: string) => {
      const leader = await cluster.leaderOf(topic, 0);
      expect(leader, `a leader for ${topic}`).toBeGreaterThan(0);
      const killedAt = Date.now();
      await cluster.kill(leader);
      const after = () => work.filter((w) => w.at > killedAt);
      await waitFor(
        'a publish confirmed after the kill, then handled and delivered',
        () => {
          const firstConfirmed = after().find((w) => w.outcome === 'confirmed');
          return (
            firstConfirmed !== undefined &&
            handledAt.has(firstConfirmed.seq) &&
            deliveries.some((d) => d.at > killedAt && d.outcome === 'confirmed' && delivered.has(d.seq))
          );
        },
        90_000,
      );
      const firstConfirmed = after().find((w) => w.outcome === 'confirmed') as Sent;
      const firstDelivered = deliveries.find((d) => d.at > killedAt && delivered.has(d.seq)) as Sent;
      figures.push({
        killed: `node ${leader} (leader of ${topic} partition 0)`,
        publishConfirmedAgainMs: (firstConfirmed.settledAt ?? 0) - killedAt,
        handledAgainMs: (handledAt.get(firstConfirmed.seq) ?? 0) - killedAt,
        deliveredAgainMs: (delivered.get(firstDelivered.seq) ?? 0) - killedAt,
      });
      await cluster.start(leader);
      await sleep(3_000); // the restarted node catches up and rejoins the ISR
    };

    await sleep(3_000);
    const copies = async (topic: string) =>
      (await cluster.partitions(topic)).map((p) => `${p.partition}:${p.replicas.length}/${p.isr.length}`);
    const replication = {
      deliveries: await copies('sb.deliveries'),
      work: await copies('sb.work.drill'),
    };
    // Replication 3, all in sync, on every partition (the transport's default for a 3-broker cluster).
    expect([...replication.deliveries, ...replication.work].every((c) => c.endsWith(':3/3'))).toBe(true);
    await killLeader('sb.deliveries');
    await killLeader('sb.work.drill');
    await sleep(2_000);
    streaming = false;
    await stream;
    await Promise.all(pending);

    const confirmedWork = work.filter((w) => w.outcome === 'confirmed').map((w) => w.seq);
    const confirmedDeliveries = deliveries.filter((d) => d.outcome === 'confirmed').map((d) => d.seq);
    await waitFor(
      'every confirmed work message handled and every confirmed delivery delivered',
      () =>
        confirmedWork.every((s) => handledAt.has(s)) && confirmedDeliveries.every((s) => delivered.has(s)),
      90_000,
    ).catch(() => undefined); // the figures below say what is missing

    let duplicates = 0;
    let reorders = 0;
    for (const list of handled.values()) {
      let highest = 0;
      const seen = new Set<number>();
      for (const s of list) {
        if (seen.has(s)) duplicates++;
        else if (s < highest) reorders++;
        seen.add(s);
        highest = Math.max(highest, s);
      }
    }
    const lostWork = confirmedWork.filter((s) => !handledAt.has(s));
    const lostDeliveries = confirmedDeliveries.filter((s) => !delivered.has(s));
    const workLog = await readLog(cluster.brokers, 'sb.work.drill');
    const deliveriesLog = await readLog(cluster.brokers, 'sb.deliveries');
    const summary = {
      published: work.length + deliveries.length,
      confirmed: confirmedWork.length + confirmedDeliveries.length,
      refused: errors.length,
      refusedKinds: [...new Set(errors)],
      unsettled: [...work, ...deliveries].filter((s) => !s.outcome).length,
      lostWork: lostWork.length,
      lostDeliveries: lostDeliveries.length,
      lost: [...lostWork.map((s) => `w${s}`), ...lostDeliveries.map((s) => `d${s}`)].slice(0, 20),
      writtenTwice: { work: writtenTwice(workLog), deliveries: writtenTwice(deliveriesLog) },
      handledTwice: duplicates,
      reorders,
      kills: figures,
      replication,
    };
    console.log(`[cluster kafka] ${JSON.stringify(summary)}`);
    await inbox.close();

    expect(summary.unsettled).toBe(0);
    expect(lostWork.slice(0, 10)).toEqual([]);
    expect(lostDeliveries.slice(0, 10)).toEqual([]);
    expect(reorders).toBe(0);
    expect(summary.writtenTwice).toEqual({ work: 0, deliveries: 0 });
    expect(errors.every((name) => name.startsWith('Bus'))).toBe(true);
  }, 420_000);
});
