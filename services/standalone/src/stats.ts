/**
 * `/stats.json` of the demo page: connections and messages per second of the edge node, the rate computed
 * from its frames-out counter over a short sliding window of samples.
 */
import type { EdgeNode } from '@switchboard/edge';

export interface NodeStats {
  readonly id: string;
  readonly connections: number;
  readonly messagesPerSecond: number;
  readonly status: 'ready' | 'not ready';
}

export interface Stats {
  readonly connections: number;
  readonly messagesPerSecond: number;
  readonly nodes: readonly NodeStats[];
}

interface Sample {
  readonly atMs: number;
  readonly frames: number;
}

/** Frames the node has written so far (all kinds). */
async function framesOut(edge: EdgeNode): Promise<number> {
  const metric = await edge.metrics.framesOut.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

export class EdgeStats {
  readonly #edge: EdgeNode;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #samples: Sample[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    edge: EdgeNode,
    options: { windowMs?: number; sampleEveryMs?: number; now?: () => number } = {},
  ) {
    this.#edge = edge;
    this.#windowMs = options.windowMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    const every = options.sampleEveryMs ?? 1_000;
    if (every > 0) {
      this.#timer = setInterval(() => void this.sample(), every);
      this.#timer.unref();
    }
  }

  /** Records the counter now and forgets samples older than the window (keeping one at its start). */
  async sample(): Promise<void> {
    const frames = await framesOut(this.#edge);
    const atMs = this.#now();
    this.#samples.push({ atMs, frames });
    while (this.#samples.length > 2 && atMs - this.#samples[1]!.atMs >= this.#windowMs) this.#samples.shift();
  }

  /** Messages per second between the oldest sample of the window and now. */
  async snapshot(): Promise<Stats> {
    const frames = await framesOut(this.#edge);
    const atMs = this.#now();
    const oldest = this.#samples[0];
    const elapsedMs = oldest ? atMs - oldest.atMs : 0;
    const rate = oldest && elapsedMs > 0 ? ((frames - oldest.frames) * 1000) / elapsedMs : 0;
    const messagesPerSecond = Math.round(Math.max(0, rate) * 10) / 10;
    const connections = this.#edge.connections;
    return {
      connections,
      messagesPerSecond,
      nodes: [
        {
          id: this.#edge.nodeId,
          connections,
          messagesPerSecond,
          status: this.#edge.ready ? 'ready' : 'not ready',
        },
      ],
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
