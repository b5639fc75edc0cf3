/**
 * The node's periodic pass over its connections (every pingIntervalMs): server pings, dead-peer detection
 * and token expiry.
 */
import { ErrorCodes } from '@switchboard/protocol';
import { errorFrame } from './commands.js';
import type { Connection } from './connection.js';
import { Disconnects, disconnect, terminate } from './disconnects.js';
import type { EdgeMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';

/**
 * Server pings, dead-peer detection (idle timeout) and token expiry. A peer silent past the idle timeout
 * gets Disconnect and close 3002 (a peer that only stopped ponging still reads); one still there a tick
 * later (told already, or closing for another reason, with no close handshake since) is terminated.
 */
export function checkLiveness(
  live: Iterable<Connection>,
  options: Pick<ResolvedOptions, 'idleTimeoutMs'>,
  metrics: EdgeMetrics,
): void {
  const now = Date.now();
  for (const c of live) {
    if (now - c.lastSeen > options.idleTimeoutMs) {
      if (c.state === 'closing') {
        terminate(c, Disconnects.noCloseHandshake);
        continue;
      }
      metrics.deadPeers.inc();
      c.log.info('no pong within the idle timeout: closing');
      disconnect(c, Disconnects.noPong);
    } else if (c.state === 'connected' && c.expiresAtMs > 0 && now >= c.expiresAtMs) {
      c.send(errorFrame(0, ErrorCodes.TokenExpired));
      disconnect(c, Disconnects.tokenExpired);
    } else c.ping();
  }
}
