/**
 * kafkajs' idempotent producer (acks=-1, one request in flight per broker), used so that it keeps its promise
 * when a partition leader dies. Two things in kafkajs 2.2.4 break it otherwise; the leader-kill drill
 * (test/cluster/kafka-leader-kill.test.ts) lost a confirmed message with idempotence simply switched on.
 *
 * 1. Sequence numbers are taken back after ANY failed produce request, also one that reached the leader and
 *    only lost its answer (leader killed, connection cut, timeout). The broker drops a batch as a duplicate
 *    only when it has the same producer id and the same first and last sequence number, so the next send to
 *    that partition must carry exactly the records of the failed one. If it carries others (a publish given
 *    up at its deadline, or publishes issued meanwhile) and the failed batch did land, the broker either
 *    answers OUT_OF_ORDER_SEQUENCE_NUMBER from then on (kafkajs never recovers from it), or — same count —
 *    acknowledges the new records as a duplicate of the old ones without writing them: confirmed, and lost.
 *    So after a failed send the next send to that partition must be the same records in the same order
 *    (checked here); anything else first moves to a fresh producer: a new producer id, which no sequence
 *    number of the old one can be confused with (a record of the failed send may then be written twice:
 *    at least once, never lost).
 * 2. One send is ONE partition. kafkajs remembers, across the retries of one send, the brokers that already
 *    answered and never sends to them again: when a failed partition's leadership moves to a broker that had
 *    answered for another partition, the retry skips it and the send resolves without those records ever
 *    written (tulios/kafkajs#1303, #1798). By default kafkajs retries an idempotent send without end, so a
 *    send spanning several brokers keeps retrying until the leader election (~10 s) moved the partition, and
 *    then hits this. With one partition per send there is nothing to skip. The caller picks the partition
 *    (the murmur2 partitioner, kafka-publisher.ts).
 */
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import type { BusLogger } from './kafka-log.js';

/**
 * kafkajs' retries of one send (its default for an idempotent producer is "forever", which would keep a
 * publish past its deadline through a whole outage); the publisher retries the same batch after these.
 */
const SEND_RETRIES = 5;

interface Generation {
  readonly id: number;
  readonly producer: Producer;
  connecting: Promise<void> | undefined;
  inFlight: number;
  retired: boolean;
  /** Per `topic:partition`, the records of the last send there if it failed: they may be in the log. */
  readonly unconfirmed: Map<string, readonly Message[]>;
}

export class IdempotentProducer {
  readonly #kafka: Kafka;
  readonly #logger: BusLogger;
  readonly #generations = new Set<Generation>();
  #current: Generation;
  #closed = false;

  constructor(kafka: Kafka, logger: BusLogger) {
    this.#kafka = kafka;
    this.#logger = logger;
    this.#current = this.#generation(1);
  }

  /** Connects the producer in use (it reconnects by itself afterwards). */
  connect(): Promise<void> {
    return this.#connect(this.#current);
  }

  /** Sends `messages` to one partition; resolves once every in-sync replica has them. */
  async send(topic: string, partition: number, messages: readonly Message[]): Promise<void> {
    const key = `${topic}:${partition}`;
    let generation = this.#current;
    const unconfirmed = generation.unconfirmed.get(key);
    if (unconfirmed && !sameRecords(unconfirmed, messages)) {
      this.#logger.debug(
        { topic, partition, producer: generation.id },
        'kafka send failed before and the next one carries other records: new producer id',
      );
      generation = this.#replace(generation);
    }
    generation.inFlight++;
    try {
      await this.#connect(generation);
      try {
        await generation.producer.send({
          topic,
          acks: -1,
          messages: messages.map((message) => ({ ...message, partition })),
        });
      } catch (error) {
        generation.unconfirmed.set(key, messages);
        throw error;
      }
      generation.unconfirmed.delete(key);
    } finally {
      generation.inFlight--;
      if (generation.retired && generation.inFlight === 0) this.#disconnect(generation);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#generations].map((generation) => generation.producer.disconnect().catch(() => undefined)),
    );
    this.#generations.clear();
  }

  #generation(id: number): Generation {
    const generation: Generation = {
      id,
      producer: this.#kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: SEND_RETRIES },
        // Unused (every message carries its partition); named so kafkajs does not warn about its default.
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
      connecting: undefined,
      inFlight: 0,
      retired: false,
      unconfirmed: new Map(),
    };
    this.#generations.add(generation);
    return generation;
  }

  /** Retires `old` (its sends in flight finish on it) and makes a fresh producer the one in use. */
  #replace(old: Generation): Generation {
    if (old !== this.#current) return this.#current;
    old.retired = true;
    if (old.inFlight === 0) this.#disconnect(old);
    this.#current = this.#generation(old.id + 1);
    return this.#current;
  }

  #connect(generation: Generation): Promise<void> {
    if (!generation.connecting) {
      const connecting = generation.producer.connect();
      generation.connecting = connecting;
      connecting.catch(() => {
        if (generation.connecting === connecting) generation.connecting = undefined;
      });
    }
    return generation.connecting;
  }

  #disconnect(generation: Generation): void {
    if (this.#closed || !this.#generations.delete(generation)) return;
    void generation.producer.disconnect().catch(() => undefined);
  }
}

function sameRecords(a: readonly Message[], b: readonly Message[]): boolean {
  return a.length === b.length && a.every((message, i) => message === b[i]);
}
