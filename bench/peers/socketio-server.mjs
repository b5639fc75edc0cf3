/**
 * Peer (b): Socket.IO 4 with @socket.io/redis-adapter (Redis pub/sub), websocket transport only, no
 * compression. Every socket joins the room "bench" on connection. Published messages arrive from the
 * redis emitter (peers/socketio-publisher.mjs, another process). Roundtrip: event "m" from a client is
 * emitted to the rest of the room (through the adapter, so it reaches the other nodes) and acked.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { args } from '../lib/pub-driver.mjs';

const opts = args();
const redisUrl = opts.redis ?? 'redis://127.0.0.1:6379';
const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const server = createServer();
const io = new Server(server, {
  adapter: createAdapter(pub, sub, { key: opts.key ?? 'bench' }),
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
});
io.on('connection', (socket) => {
  socket.join('bench');
  socket.on('m', (data, ack) => {
    socket.to('bench').emit('m', data);
    if (typeof ack === 'function') ack();
  });
});
await Promise.all([pub.ping(), sub.ping()]);
server.listen(Number(opts.port ?? 0), opts.host ?? '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: server.address().port, pid: process.pid });
});
process.on('disconnect', () => process.exit(0));
