/**
 * The node's local subscription index: channel -> connections and user -> connections. It drives the
 * bus InterestIndex so the broker routes a channel or user here while (and only while) a local
 * connection wants it.
 */
import { channelRoute, type InterestIndex, userRoute } from '@switchboard/bus';
import { addToSetMap, deleteFromSetMap } from '@switchboard/runtime';
import type { Connection } from './connection.js';

export class LocalIndex {
  readonly #interest: InterestIndex;
  readonly #channels = new Map<string, Set<Connection>>();
  readonly #users = new Map<string, Set<Connection>>();
  readonly #connections = new Map<string, Connection>();

  constructor(interest: InterestIndex) {
    this.#interest = interest;
  }

  get size(): number {
    return this.#connections.size;
  }

  connection(id: string): Connection | undefined {
    return this.#connections.get(id);
  }

  all(): IterableIterator<Connection> {
    return this.#connections.values();
  }

  /** The channel's local connections. The set is dropped when it empties: a new one means a new local subscription (continuity.ts relies on it). */
  channel(channel: string): ReadonlySet<Connection> | undefined {
    return this.#channels.get(channel);
  }

  user(userId: string): ReadonlySet<Connection> | undefined {
    return this.#users.get(userId);
  }

  /**
   * The `limit` channels with the most local subscribers, busiest first (ties by name, so the answer is
   * stable). One pass keeping a small sorted list: the heartbeat calls it on nodes with many channels.
   */
  busiestChannels(limit: number): { channel: string; subscribers: number }[] {
    const top: { channel: string; subscribers: number }[] = [];
    if (limit <= 0) return top;
    for (const [channel, connections] of this.#channels) {
      const entry = { channel, subscribers: connections.size };
      if (top.length === limit && !busier(entry, top[limit - 1]!)) continue;
      let at = top.length;
      while (at > 0 && busier(entry, top[at - 1]!)) at--;
      top.splice(at, 0, entry);
      if (top.length > limit) top.pop();
    }
    return top;
  }

  userConnections(userId: string): number {
    return this.#users.get(userId)?.size ?? 0;
  }

  /** Adds an authenticated connection; its user route is acquired (anonymous users have none). */
  async addConnection(connection: Connection): Promise<void> {
    this.#connections.set(connection.id, connection);
    if (!connection.userId) return;
    addToSetMap(this.#users, connection.userId, connection);
    await this.#interest.acquire(userRoute(connection.userId));
  }

  /** Removes a connection and everything it held; returns the channels it was subscribed to. */
  async removeConnection(connection: Connection): Promise<string[]> {
    if (this.#connections.get(connection.id) !== connection) return [];
    this.#connections.delete(connection.id);
    const channels = connection.channels;
    const releases: Promise<void>[] = channels.map((channel) => this.unsubscribe(connection, channel));
    if (connection.userId && deleteFromSetMap(this.#users, connection.userId, connection))
      releases.push(this.#interest.release(userRoute(connection.userId)));
    await Promise.all(releases);
    return channels;
  }

  async subscribe(connection: Connection, channel: string): Promise<void> {
    connection.addChannel(channel);
    addToSetMap(this.#channels, channel, connection);
    await this.#interest.acquire(channelRoute(channel));
  }

  async unsubscribe(connection: Connection, channel: string): Promise<void> {
    connection.removeChannel(channel);
    if (deleteFromSetMap(this.#channels, channel, connection))
      await this.#interest.release(channelRoute(channel));
  }
}

const busier = (a: { channel: string; subscribers: number }, b: { channel: string; subscribers: number }) =>
  a.subscribers > b.subscribers || (a.subscribers === b.subscribers && a.channel < b.channel);
