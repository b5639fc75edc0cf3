/**
 * kafkajs' default socket factory plus connection signals: a socket error (refused, reset, timed out) means
 * the broker is unreachable; a socket that connects means it is back. kafkajs itself has no event for
 * "broker went away" — its clients retry quietly — so this is where the transport's events come from.
 */
import { isIP, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

const KEEP_ALIVE_DELAY_MS = 60_000;

export interface SocketSignals {
  onError(error: Error): void;
  onConnect(): void;
}

export function signallingSocketFactory(signals: SocketSignals): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const connected = () => {
      signals.onConnect();
      onConnect();
    };
    const socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, connected)
      : netConnect({ host, port }, connected);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    // Small produce and fetch requests must not wait for Nagle's algorithm (up to ~40 ms with delayed ACKs).
    socket.setNoDelay(true);
    socket.on('error', (error) => signals.onError(error));
    return socket;
  };
}
