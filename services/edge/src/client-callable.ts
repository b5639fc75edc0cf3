/**
 * The edge's allow-list for a client's `Send`: only `<service>/<type>` pairs that services declared
 * client-callable are relayed; everything else on the bus (history.publish, orders, lifecycle, the
 * recovery and query types the edge itself sends) is internal. Checked before anything is published, so a
 * refused Send costs one lookup and never reaches a service. Services check the same thing again
 * (service-kit refuses a client-originated Inbound for an internal type): two walls, either one enough.
 */
export class ClientCallable {
  readonly #types = new Set<string>();
  readonly #wholeServices = new Set<string>();

  /** Entries are validated by resolveOptions: `<service>/<type>` or `<service>/*`. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      const service = entry.slice(0, slash);
      const type = entry.slice(slash + 1);
      if (type === '*') this.#wholeServices.add(service);
      else this.#types.add(`${service}/${type}`);
    }
  }

  allows(service: string, type: string): boolean {
    return this.#wholeServices.has(service) || this.#types.has(`${service}/${type}`);
  }
}
