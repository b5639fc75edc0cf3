/**
 * Connection ids: `<node>.<12 base64url characters>` (docs/bus-contract.md: the node is the part before
 * the first `.`). The random part is 72 bits from the OS's CSPRNG, so ids are not guessable from each
 * other, as before; what changed is that the bytes are drawn 256 ids at a time. One `randomBytes(9)` per
 * connect was a `getrandom` system call each — ~18 µs of edge CPU per connect in the issue-17 storm
 * profile (node's own randomUUID() keeps a pool for the same reason).
 */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 9;
const IDS_PER_DRAW = 256;

export class ConnectionIds {
  readonly #prefix: string;
  readonly #pool = Buffer.alloc(ID_BYTES * IDS_PER_DRAW);
  #next = IDS_PER_DRAW;

  constructor(nodeId: string) {
    this.#prefix = `${nodeId}.`;
  }

  next(): string {
    if (this.#next === IDS_PER_DRAW) {
      randomFillSync(this.#pool);
      this.#next = 0;
    }
    const start = this.#next++ * ID_BYTES;
    const random = this.#pool.toString('base64url', start, start + ID_BYTES);
    // Not left in memory once used: a later heap dump shows the ids in use, not the ones to come.
    this.#pool.fill(0, start, start + ID_BYTES);
    return this.#prefix + random;
  }
}
