/**
 * A stand-in edge node for lifecycle consumer tests (presence, notifications): it keeps connections and
 * their channels, publishes sequenced lifecycle messages the way services/edge does (incarnation, seq from
 * 1 without holes, heartbeats with last_seq, keyed by the node id), and answers a re-announce request on
 * its node inbox with a snapshot — one connection per chunk, so consumers see chunked snapshots. Events
 * can be published while the consumer is away, for the broker's bound to drop them.
 */
import type { NodeSubscription, Transport } from '@switchboard/bus';
import { decodeDelivery, encodeLifecycleEvent, type ILifecycleEvent } from '@switchboard/protocol';

interface Held {
  readonly userId: string;
  readonly channels: Set<string>;
}

export class SequencedEdge {
  readonly nodeId: string;
  incarnation: string;
  /** Re-announce requests this node got (the requesting group of each). */
  readonly requests: string[] = [];
  readonly #transport: Transport;
  readonly #connections = new Map<string, Held>();
  #seq = 0;
  /** While set, messages take their sequence number but are not published (a publish that failed). */
  #losing = false;
  #inbox: NodeSubscription | undefined;
  #answering = Promise.resolve();

  constructor(transport: Transport, nodeId: string, incarnation = `${nodeId}-i1`) {
    this.#transport = transport;
    this.nodeId = nodeId;
    this.incarnation = incarnation;
  }

  /** Opens the node inbox: from now on re-announce requests are answered. */
  async listen(): Promise<void> {
    this.#inbox = await this.#transport.openNode(this.nodeId, (bytes) => {
      const delivery = decodeDelivery(bytes);
      if (delivery.body !== 'reannounce' || delivery.reannounce?.nodeId !== this.nodeId) return;
      this.requests.push(delivery.reannounce.requestedBy ?? '');
      this.#answering = this.#answering.then(() => this.snapshot());
    });
  }

  get seq(): number {
    return this.#seq;
  }

  async open(connectionId: string, userId: string, channels: string[] = []): Promise<void> {
    this.#connections.set(connectionId, { userId, channels: new Set() });
    await this.#send({ connectionOpened: { connectionId, userId } });
    for (const channel of channels) await this.subscribe(connectionId, channel);
  }

  async subscribe(connectionId: string, channel: string): Promise<void> {
    const held = this.#connections.get(connectionId)!;
    held.channels.add(channel);
    await this.#send({ subscribed: { connectionId, userId: held.userId, channel } });
  }

  async close(connectionId: string): Promise<void> {
    const held = this.#connections.get(connectionId)!;
    this.#connections.delete(connectionId);
    await this.#send({ connectionClosed: { connectionId, userId: held.userId, code: 1000 } });
  }

  async heartbeat(leaseMs: number): Promise<void> {
    await this.#publish({
      incarnation: this.incarnation,
      heartbeat: { connections: this.#connections.size, leaseMs, lastSeq: this.#seq },
    });
  }

  /**
   * Runs `change` with its messages lost: the node's state changes and their sequence numbers are used, as
   * when the edge's publish fails (it logs and goes on), but nothing reaches the bus.
   */
  async unpublished(change: () => Promise<void>): Promise<void> {
    this.#losing = true;
    try {
      await change();
    } finally {
      this.#losing = false;
    }
  }

  /** A restart: same node id, new incarnation, no connections, sequence from 1 again. */
  restart(incarnation: string): void {
    this.incarnation = incarnation;
    this.#seq = 0;
    this.#connections.clear();
  }

  /** Publishes the snapshot now (one connection per chunk; one empty chunk for an empty node). */
  async snapshot(): Promise<void> {
    const entries = [...this.#connections].map(([connectionId, held]) => ({
      connectionId,
      userId: held.userId,
      channels: [...held.channels],
    }));
    const chunks = entries.length > 0 ? entries.map((entry) => [entry]) : [[]];
    const snapshotId = this.#seq + 1;
    for (const [chunk, connections] of chunks.entries())
      await this.#send({ snapshot: { snapshotId, chunk, last: chunk === chunks.length - 1, connections } });
  }

  /** Waits for the snapshots asked for so far to be published. */
  answered(): Promise<void> {
    return this.#answering;
  }

  async stop(): Promise<void> {
    await this.#answering;
    await this.#inbox?.close();
  }

  async #send(event: ILifecycleEvent): Promise<void> {
    const seq = ++this.#seq;
    if (!this.#losing) await this.#publish({ incarnation: this.incarnation, seq, ...event });
  }

  #publish(event: ILifecycleEvent): Promise<void> {
    return this.#transport.publishWork(
      'lifecycle',
      this.nodeId,
      encodeLifecycleEvent({ nodeId: this.nodeId, timeMs: Date.now(), ...event }),
    );
  }
}
