/** Port probes for tests that start and kill brokers (test/support, test/cluster, test/failover). */
import { connect } from 'node:net';

/**
 * Whether something accepts a TCP connection on `port` (127.0.0.1 unless an address is given) within
 * `timeoutMs`. Only that: a broker may accept before it answers its own protocol.
 */
export function portAccepts(
  target: number | { readonly host: string; readonly port: number },
  timeoutMs = 1_000,
): Promise<boolean> {
  const address = typeof target === 'number' ? { host: '127.0.0.1', port: target } : target;
  return new Promise((resolve) => {
    const socket = connect(address);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
