/**
 * An in-process broker with the semantics the real ones give: durable per-group work queues with
 * competing consumers, per-key ordering, redelivery of unacked work when a consumer goes away, dead
 * letters after N failed attempts, and interest-based fan-out to nodes. Several MemoryTransports
 * connected to one broker behave like several processes connected to one RabbitMQ.
 */

import { routeKey } from '../routes.js';
import type { DeadLetter, Route } from '../transport.js';

export interface QueuedWork {
  readonly topic: string;
  readonly key: string;
  readonly bytes: Uint8Array;
  attempt: number;
  redelivered: boolean;
}

export interface WorkConsumerSlot {
  readonly prefetch: number;
  inFlight: number;
  /** Returns false when the consumer is gone and the message must go back to the queue. */
  deliver(work: QueuedWork, done: (outcome: 'ack' | 'retry' | 'requeue', error?: string) => void): boolean;
}

export interface GroupQueue {
  readonly topic: string;
  readonly group: string;
  ordered: boolean;
  maxAttempts: number;
  readonly queue: QueuedWork[];
  readonly consumers: WorkConsumerSlot[];
  readonly busyKeys: Set<string>;
  readonly deadLetters: DeadLetter[];
  readonly deadLetterListeners: Set<(letter: DeadLetter) => void>;
  nextConsumer: number;
  /** Most queued (not in-flight) messages; past it the oldest are dropped (backlog.ts). Undefined: no bound. */
  maxMessages: number | undefined;
  /** Messages dropped by the bound so far. */
  dropped: number;
}

export type NodeInbox = (bytes: Uint8Array, route: Route) => void;

export class MemoryBroker {
  readonly #groups = new Map<string, Map<string, GroupQueue>>();
  readonly #interest = new Map<string, Set<NodeInbox>>();

  /** Declares (idempotently) the durable queue of a consumer group on a topic. */
  group(
    topic: string,
    group: string,
    settings?: { ordered: boolean; maxAttempts: number; maxMessages?: number },
  ): GroupQueue {
    let groups = this.#groups.get(topic);
    if (!groups) {
      groups = new Map();
      this.#groups.set(topic, groups);
    }
    let queue = groups.get(group);
    if (!queue) {
      queue = {
        topic,
        group,
        ordered: settings?.ordered ?? true,
        maxAttempts: settings?.maxAttempts ?? 5,
        queue: [],
        consumers: [],
        busyKeys: new Set(),
        deadLetters: [],
        deadLetterListeners: new Set(),
        nextConsumer: 0,
        maxMessages: settings?.maxMessages,
        dropped: 0,
      };
      groups.set(group, queue);
    }
    if (settings) {
      queue.ordered = settings.ordered;
      queue.maxAttempts = settings.maxAttempts;
      queue.maxMessages = settings.maxMessages;
    }
    return queue;
  }

  publishWork(topic: string, key: string, bytes: Uint8Array): void {
    const groups = this.#groups.get(topic);
    if (!groups) return; // like an exchange with no bound queue: nobody consumes this topic yet
    for (const queue of groups.values()) {
      queue.queue.push({ topic, key, bytes, attempt: 1, redelivered: false });
      this.dispatch(queue);
      // Like RabbitMQ's x-overflow drop-head: the oldest queued message goes, in-flight ones stay.
      const over = queue.maxMessages === undefined ? 0 : queue.queue.length - queue.maxMessages;
      if (over > 0) {
        queue.queue.splice(0, over);
        queue.dropped += over;
      }
    }
  }

  addConsumer(queue: GroupQueue, slot: WorkConsumerSlot): void {
    queue.consumers.push(slot);
    this.dispatch(queue);
  }

  removeConsumer(queue: GroupQueue, slot: WorkConsumerSlot): void {
    const index = queue.consumers.indexOf(slot);
    if (index >= 0) queue.consumers.splice(index, 1);
  }

  /** Hands queued messages to consumers with spare prefetch, one key at a time when ordered. */
  dispatch(queue: GroupQueue): void {
    for (let i = 0; i < queue.queue.length; ) {
      const work = queue.queue[i]!;
      if (queue.ordered && queue.busyKeys.has(work.key)) {
        i++;
        continue;
      }
      const slot = this.#pickConsumer(queue);
      if (!slot) return;
      queue.queue.splice(i, 1);
      if (queue.ordered) queue.busyKeys.add(work.key);
      slot.inFlight++;
      const accepted = slot.deliver(work, (outcome, error) =>
        this.#settle(queue, slot, work, outcome, error),
      );
      if (!accepted) {
        slot.inFlight--;
        queue.busyKeys.delete(work.key);
        queue.queue.splice(i, 0, work);
        this.removeConsumer(queue, slot);
      }
    }
  }

  #pickConsumer(queue: GroupQueue): WorkConsumerSlot | undefined {
    const n = queue.consumers.length;
    for (let k = 0; k < n; k++) {
      const slot = queue.consumers[(queue.nextConsumer + k) % n]!;
      if (slot.inFlight < slot.prefetch) {
        queue.nextConsumer = (queue.nextConsumer + k + 1) % n;
        return slot;
      }
    }
    return undefined;
  }

  #settle(
    queue: GroupQueue,
    slot: WorkConsumerSlot,
    work: QueuedWork,
    outcome: 'ack' | 'retry' | 'requeue',
    error?: string,
  ): void {
    slot.inFlight--;
    queue.busyKeys.delete(work.key);
    if (outcome === 'retry') {
      if (work.attempt >= queue.maxAttempts) {
        const letter: DeadLetter = {
          topic: work.topic,
          group: queue.group,
          key: work.key,
          bytes: work.bytes,
          attempts: work.attempt,
          error: error ?? 'handler failed',
        };
        if (queue.deadLetterListeners.size === 0) queue.deadLetters.push(letter);
        for (const listener of queue.deadLetterListeners) listener(letter);
      } else {
        work.attempt++;
        queue.queue.unshift(work); // retry before later messages of the same key
      }
    } else if (outcome === 'requeue') {
      work.redelivered = true;
      queue.queue.unshift(work);
    }
    this.dispatch(queue);
  }

  addDeadLetterListener(queue: GroupQueue, listener: (letter: DeadLetter) => void): () => void {
    queue.deadLetterListeners.add(listener);
    for (const letter of queue.deadLetters.splice(0)) listener(letter);
    return () => queue.deadLetterListeners.delete(listener);
  }

  bind(route: Route, inbox: NodeInbox): void {
    const key = routeKey(route);
    let inboxes = this.#interest.get(key);
    if (!inboxes) {
      inboxes = new Set();
      this.#interest.set(key, inboxes);
    }
    inboxes.add(inbox);
  }

  unbind(route: Route, inbox: NodeInbox): void {
    const key = routeKey(route);
    const inboxes = this.#interest.get(key);
    if (!inboxes) return;
    inboxes.delete(inbox);
    if (inboxes.size === 0) this.#interest.delete(key);
  }

  publishDelivery(route: Route, bytes: Uint8Array): void {
    const inboxes = this.#interest.get(routeKey(route));
    if (!inboxes) return;
    for (const inbox of inboxes) inbox(bytes, route);
  }
}
