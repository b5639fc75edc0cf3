/**
 * Graceful drain of a node's connections: every client is told to reconnect elsewhere at a random moment
 * of the jitter window (so they do not all land on the other nodes in the same second), then a bounded
 * wait for them to go; stragglers are terminated. The node stops accepting before it calls this.
 */
import type { Logger } from 'pino';
import type { Connection } from './connection.js';
import { Disconnects, disconnect, terminate } from './disconnects.js';
import type { ResolvedOptions } from './options.js';

export interface DrainResult {
  /** Connections told to reconnect elsewhere. */
  readonly notified: number;
  /** Connections still open at the bound and terminated. */
  readonly forced: number;
}

type DrainOptions = Pick<ResolvedOptions, 'drainTimeoutMs' | 'reconnectDelayMaxMs' | 'drainJitterMs'>;

/**
 * Drains `live` (the node's set, which shrinks as sockets close). `whenEmpty` hands the node the callback
 * to call once its last connection closed (undefined again when the drain ends).
 */
export async function drainConnections(
  live: ReadonlySet<Connection>,
  options: DrainOptions,
  log: Logger,
  whenEmpty: (onEmpty: (() => void) | undefined) => void,
): Promise<DrainResult> {
  const { drainTimeoutMs, reconnectDelayMaxMs } = options;
  const jitter = Math.min(options.drainJitterMs, drainTimeoutMs / 2);
  const connections = [...live];
  log.info({ connections: connections.length }, 'draining');
  const timers = connections.map((c) =>
    setTimeout(
      () => disconnect(c, Disconnects.shutdown, Math.floor(Math.random() * reconnectDelayMaxMs)),
      Math.random() * jitter,
    ),
  );
  let bound: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    if (live.size === 0) return resolve();
    whenEmpty(resolve);
    bound = setTimeout(resolve, drainTimeoutMs);
  });
  clearTimeout(bound);
  whenEmpty(undefined);
  for (const timer of timers) clearTimeout(timer);
  const forced = live.size;
  for (const c of live) terminate(c, Disconnects.drainTimeout);
  log.info({ notified: connections.length, forced }, 'drained');
  return { notified: connections.length, forced };
}
