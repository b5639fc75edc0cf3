/**
 * A deadline for the HTTP request head of every new TCP connection: the `/ws` upgrade or a plain request
 * (health, metrics, fallback pages) must have arrived within `timeoutMs` of the accept, or the socket is
 * destroyed.
 *
 * Why: Node's own bounds do not cover a socket that never sends a byte. `headersTimeout` and
 * `requestTimeout` only start with the first byte of a request (the parser registers the connection as
 * active on message begin), `server.timeout` is 0 (off) by default, and `keepAliveTimeout` only follows a
 * response. A client that opens sockets and stays silent would hold a file descriptor each, forever.
 * The deadline is absolute, not an inactivity timer: a client dripping one header byte at a time is cut at
 * the same point. Once the head is in, Node's bounds take over (headersTimeout, requestTimeout,
 * keepAliveTimeout), and an upgraded socket belongs to the WebSocket layer (connectTimeoutMs, then pings).
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

export function limitHandshakeTime(server: Server, timeoutMs: number, onTimeout: () => void): void {
  const deadlines = new WeakMap<Duplex, NodeJS.Timeout>();
  const settle = (socket: Duplex) => {
    clearTimeout(deadlines.get(socket));
    deadlines.delete(socket);
  };
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => {
      deadlines.delete(socket);
      onTimeout();
      socket.destroy();
    }, timeoutMs);
    deadlines.set(socket, timer);
    socket.once('close', () => settle(socket));
  });
  // Both fire once the request head is parsed; a keep-alive socket's later requests find nothing to clear.
  server.on('request', (req) => settle(req.socket));
  server.on('upgrade', (_req, socket: Duplex) => settle(socket));
}
