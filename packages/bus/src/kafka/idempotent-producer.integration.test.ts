/**
 * The idempotent publisher when the broker's answer to a produce request is lost (what a partition leader
 * killed mid-request does: the records may be in the log, the client cannot know). Real broker; the fault is
 * injected at the client's socket: while `losingAnswers`, a connection that wrote a produce request swallows
 * what the broker answers and is reset shortly after, once the broker had time to append.
 */
import { connect, type Socket } from 'node:net';
import { type ISocketFactory, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaHandle, startKafkaProcess } from '../../../../test/support/kafka-broker.js';
import { uniqueName, waitFor } from '../conformance/wait.js';
import { BusUnavailableError } from '../errors.js';
import { TimerSet } from '../timer-set.js';
import { ConnectionState } from './connection-state.js';
import { silentLogger } from './kafka-log.js';
import { KafkaPublisher } from './kafka-publisher.js';

const PRODUCE_API_KEY = 0;
const CUT_AFTER_MS = 300;

const connectionReset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

/** Plain TCP sockets; `losingAnswers` turns on the lost-answer fault for produce requests. */
function faultySockets() {
  const faults = { losingAnswers: false, producesCut: 0 };
  const factory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket: Socket = connect({ host, port }, onConnect);
    socket.setNoDelay(true);
    let swallowing = false;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      // A request is one frame: int32 size, int16 api key, ...
      if (faults.losingAnswers && Buffer.isBuffer(chunk) && chunk.readInt16BE(4) === PRODUCE_API_KEY) {
        swallowing = true;
        faults.producesCut++;
        // As a dead peer does: a reset, not a silent close (kafkajs listens for 'error' and 'end' only).
        setTimeout(() => socket.destroy(connectionReset()), CUT_AFTER_MS);
      }
      return write(chunk, ...rest);
    }) as Socket['write'];
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]) =>
      event === 'data' && swallowing ? true : emit(event, ...args)) as Socket['emit'];
    return socket;
  };
  return { faults, factory };
}

describe('kafka idempotent publisher: lost answers', () => {
  let broker: KafkaHandle;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    broker = await startKafkaProcess();
  }, 300_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await broker?.stop();
  }, 60_000);

  async function setUp() {
    const topic = uniqueName('idempotent');
    const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    closers.push(() => admin.disconnect());
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    const { faults, factory } = faultySockets();
    const timers = new TimerSet();
    const publisher = new KafkaPublisher({
      kafka: new Kafka({
        brokers: broker.brokers,
        logLevel: logLevel.NOTHING,
        socketFactory: factory,
        retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 2 },
      }),
      timeoutMs: 4_000,
      maxBatchBytes: 64 * 1024,
      state: new ConnectionState(() => undefined),
      timers,
      logger: silentLogger,
      partitionCount: async () => 1,
    });
    closers.push(async () => {
      await publisher.close();
      timers.clear();
    });
    const publish = (value: string) => publisher.send(topic, [{ key: 'k', value }]);
    /** Every record in the topic, in log order, once the last one is `until`. */
    const log = async (until: string): Promise<string[]> => {
      const consumer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).consumer({
        groupId: uniqueName('reader'),
      });
      closers.push(() => consumer.disconnect());
      const values: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
        },
      });
      await waitFor(`"${until}" read back`, () => values.at(-1) === until, 60_000);
      await consumer.disconnect();
      return values;
    };
    return { faults, publish, log };
  }

  it('retries a request whose answer was lost without writing it twice', async () => {
    const { faults, publish, log } = await setUp();
    await publish('before');
    faults.losingAnswers = true;
    const pending = publish('answer-lost-once');
    await waitFor('a produce request cut', () => faults.producesCut > 0, 10_000);
    faults.losingAnswers = false;
    await pending;
    await publish('end');
    expect(await log('end')).toEqual(['before', 'answer-lost-once', 'end']);
  }, 120_000);

  it('after giving up on a request that may have landed, the next publish is written, not taken for it', async () => {
    const { faults, publish, log } = await setUp();
    await publish('before');
    faults.losingAnswers = true;
    // Every answer lost until the publish timeout: it is refused, and may be in the log.
    const refused = await publish('given-up').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(BusUnavailableError);
    expect((refused as BusUnavailableError).maybeDelivered).toBe(true);
    expect(faults.producesCut).toBeGreaterThan(1);
    faults.losingAnswers = false;
    // Same partition, same number of records: with the given-up request's sequence number the broker would
    // answer "duplicate" and write nothing, yet the publish would resolve.
    await publish('after');
    await publish('end');
    const values = await log('end');
    expect(values.filter((value) => value === 'after')).toEqual(['after']);
    expect(values.filter((value) => value !== 'given-up')).toEqual(['before', 'after', 'end']);
  }, 120_000);
});
