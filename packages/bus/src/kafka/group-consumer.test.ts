/**
 * GroupConsumer recovery, on a fake kafkajs that behaves like kafkajs 2.2.4 where it matters: run() returns
 * once the first join succeeded or crashed, and a crash kafkajs calls non-retriable (e.g.
 * KafkaJSGroupCoordinatorNotFound when `__consumer_offsets` is still loading on a fresh broker) is reported
 * as CRASH with restart: false and never restarted. No broker needed.
 */
import { EventEmitter } from 'node:events';
import { type Kafka, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConnectionState } from './connection-state.js';
import { GroupConsumer, type GroupConsumerDeps } from './group-consumer.js';
import { resolveKafkaOptions } from './kafka-options.js';
import { TimerSet } from './timer-set.js';

const EVENTS = { GROUP_JOIN: 'consumer.group_join', FETCH: 'consumer.fetch', CRASH: 'consumer.crash' };

/**
 * What one fake consumer does when started: join, crash for good on the first join, fail to connect, or
 * fail to subscribe because the broker does not serve the topic's metadata yet (a topic created a moment
 * ago: retriable) or at all (not authorised: not retriable).
 */
type Behaviour = 'join' | 'crash' | 'connect-fails' | 'topic-not-served-yet' | 'topic-not-authorised';

const protocolError = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 3, retriable }));

class CoordinatorNotFound extends Error {
  override name = 'KafkaJSGroupCoordinatorNotFound';
  readonly retriable = false;
}

class FakeConsumer {
  readonly events = EVENTS;
  readonly #emitter = new EventEmitter();
  readonly #behaviour: Behaviour;
  connected = false;
  disconnects = 0;
  subscribed: string[] = [];

  constructor(behaviour: Behaviour) {
    this.#behaviour = behaviour;
  }

  on(event: string, listener: (event: unknown) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }

  async connect(): Promise<void> {
    if (this.#behaviour === 'connect-fails') throw new Error('Connection error: ECONNREFUSED');
    this.connected = true;
  }

  async subscribe({ topic }: { topic: string }): Promise<void> {
    if (this.#behaviour === 'topic-not-served-yet') throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', true);
    if (this.#behaviour === 'topic-not-authorised') throw protocolError('TOPIC_AUTHORIZATION_FAILED', false);
    this.subscribed.push(topic);
  }

  async run(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.#behaviour === 'crash') {
      // kafkajs: onCrash disconnects, then emits CRASH; restart is false for a non-retriable error.
      this.connected = false;
      this.#emitter.emit(EVENTS.CRASH, {
        type: EVENTS.CRASH,
        payload: { error: new CoordinatorNotFound('Failed to find group coordinator'), restart: false },
      });
      return;
    }
    this.#emitter.emit(EVENTS.GROUP_JOIN, {
      type: EVENTS.GROUP_JOIN,
      payload: { memberAssignment: { 'sb.work.t': [0] } },
    });
  }

  async disconnect(): Promise<void> {
    this.disconnects++;
    this.connected = false;
  }

  readonly commits: string[] = [];
  async commitOffsets(offsets: { partition: number; offset: string }[]): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    for (const { partition, offset } of offsets) this.commits.push(`${partition}@${offset}`);
  }
}

function harness(behaviours: Behaviour[], joinTimeoutMs = 20_000) {
  const consumers: FakeConsumer[] = [];
  const kafka = {
    consumer: () => {
      const consumer = new FakeConsumer(behaviours[consumers.length] ?? 'join');
      consumers.push(consumer);
      return consumer;
    },
  } as unknown as Kafka;
  const logs: { level: string; msg: string | undefined; obj: object }[] = [];
  const log = (level: string) => (obj: object, msg?: string) => logs.push({ level, msg, obj });
  const timers = new TimerSet();
  const deps: GroupConsumerDeps = {
    kafka,
    options: resolveKafkaOptions({ brokers: ['127.0.0.1:1'], joinTimeoutMs }),
    state: new ConnectionState(() => undefined),
    timers,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  };
  const start = () =>
    GroupConsumer.start(deps, {
      groupId: 'sb.g.t',
      topic: 'sb.work.t',
      fromBeginning: true,
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachMessage: async () => undefined,
    });
  return { consumers, logs, timers, start };
}

describe('GroupConsumer recovery from crashes kafkajs does not restart', () => {
  it('replaces a consumer whose first join crashed for good, and start() resolves once the new one joined', async () => {
    const { consumers, logs, start } = harness(['crash']);
    const began = Date.now();
    const consumer = await start();
    try {
      // Joined through the replacement, long before joinTimeoutMs.
      expect(Date.now() - began).toBeLessThan(10_000);
      expect(consumers).toHaveLength(2);
      expect(consumers[0]?.disconnects).toBeGreaterThan(0);
      expect(consumers[1]?.connected).toBe(true);
      expect(consumers[1]?.subscribed).toEqual(['sb.work.t']);
      expect(logs.some((l) => l.msg === 'kafka consumer crashed')).toBe(true);
      expect(logs.some((l) => l.msg === 'kafka consumer replaced')).toBe(true);
      expect(logs.some((l) => l.msg === 'kafka consumer not assigned yet')).toBe(false);
    } finally {
      await consumer.close();
    }
  });

  it('keeps replacing it, with a growing pause, until one joins', async () => {
    const { consumers, logs, start } = harness(['crash', 'crash', 'connect-fails', 'crash']);
    const consumer = await start();
    try {
      expect(consumers).toHaveLength(5);
      expect(consumers[4]?.connected).toBe(true);
      const pauses = logs
        .filter((l) => l.msg === 'kafka consumer will not be restarted by kafkajs; replacing it')
        .map((l) => (l.obj as { pauseMs: number }).pauseMs);
      expect(pauses).toEqual([500, 1_000, 2_000, 4_000]);
      expect(logs.some((l) => l.msg === 'kafka consumer replacement failed to start')).toBe(true);
    } finally {
      await consumer.close();
    }
  }, 20_000);

  it('stops recovering when closed, at once, leaving no consumer connected and no timer behind', async () => {
    const { consumers, timers, start } = harness(['crash', 'crash', 'crash', 'crash'], 200);
    // The join timeout passes while it is still recovering: start() resolves with a warning.
    const consumer = await start();
    const closing = Date.now();
    await consumer.close();
    expect(Date.now() - closing).toBeLessThan(300); // not held up by the pending pause
    expect(timers.size).toBe(0);
    const created = consumers.length;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(consumers.length).toBe(created);
    expect(consumers.every((c) => !c.connected)).toBe(true);
    expect(timers.size).toBe(0);
  });
});

describe('GroupConsumer start', () => {
  it('recovers a subscription the broker cannot serve yet (a new topic) instead of failing the start', async () => {
    const { consumers, logs, start } = harness(['topic-not-served-yet', 'topic-not-served-yet']);
    const consumer = await start();
    try {
      expect(consumers).toHaveLength(3);
      expect(consumers[0]?.disconnects).toBeGreaterThan(0);
      expect(consumers[2]?.connected).toBe(true);
      expect(consumers[2]?.subscribed).toEqual(['sb.work.t']);
      const warning = logs.find((l) => l.msg === 'kafka consumer cannot subscribe yet');
      expect(warning?.obj).toMatchObject({
        group: 'sb.g.t',
        topic: 'sb.work.t',
        error: expect.stringContaining('UNKNOWN_TOPIC_OR_PARTITION'),
      });
      expect(logs.some((l) => l.msg === 'kafka consumer replaced')).toBe(true);
      expect(logs.some((l) => l.msg === 'kafka consumer not assigned yet')).toBe(false);
    } finally {
      await consumer.close();
    }
  });

  it('fails the start, naming the group, when the broker cannot be reached', async () => {
    const { consumers, start } = harness(['connect-fails']);
    await expect(start()).rejects.toThrow(/cannot start consumer group sb\.g\.t: .*ECONNREFUSED/);
    expect(consumers).toHaveLength(1);
  });

  it('fails the start when the broker refuses the subscription for good', async () => {
    const { consumers, timers, start } = harness(['topic-not-authorised']);
    await expect(start()).rejects.toThrow(
      /cannot start consumer group sb\.g\.t: .*TOPIC_AUTHORIZATION_FAILED/,
    );
    expect(consumers).toHaveLength(1);
    expect(consumers[0]?.connected).toBe(false);
    expect(timers.size).toBe(0);
  });
});

describe('GroupConsumer close', () => {
  it('stops handling at once, lets the hook commit what was handled, then refuses commits and disconnects', async () => {
    const { consumers, start } = harness([]);
    const consumer = await start();
    let closingSeenByHook = false;
    await consumer.close(async () => {
      closingSeenByHook = consumer.closing;
      await consumer.commit(0, '4');
    });
    expect(closingSeenByHook).toBe(true);
    expect(consumers[0]?.commits).toEqual(['0@5']); // the next offset to read
    expect(consumers[0]?.connected).toBe(false);
    await consumer.commit(0, '9'); // after the disconnect: refused quietly
    expect(consumers[0]?.commits).toEqual(['0@5']);
  });
});
