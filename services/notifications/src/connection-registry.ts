/**
 * Which connections each user has open, built from lifecycle events (connection_opened / _closed). It only
 * decides whether a push counts as DELIVERED; the push itself always goes to the user route.
 *
 * Kept per instance: the lifecycle topic is consumed by the `notifications` group, so with several
 * instances each one sees only the events it was given (see README: DELIVERED is exact with one instance).
 */
export class ConnectionRegistry {
  readonly #byUser = new Map<string, Set<string>>();

  opened(userId: string, connectionId: string): void {
    let connections = this.#byUser.get(userId);
    if (!connections) {
      connections = new Set();
      this.#byUser.set(userId, connections);
    }
    connections.add(connectionId);
  }

  closed(userId: string, connectionId: string): void {
    const connections = this.#byUser.get(userId);
    if (!connections) return;
    connections.delete(connectionId);
    if (connections.size === 0) this.#byUser.delete(userId);
  }

  connections(userId: string): string[] {
    return [...(this.#byUser.get(userId) ?? [])];
  }
}
