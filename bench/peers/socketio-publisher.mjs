/** Publisher of the Socket.IO peer: @socket.io/redis-emitter in its own process, to the room "bench". */
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { payloadString } from '../lib/payload.mjs';
import { args, drivePublisher } from '../lib/pub-driver.mjs';

const opts = args();
const redis = new Redis(opts.redis ?? 'redis://127.0.0.1:6379');
await redis.ping();
const emitter = new Emitter(redis, { key: opts.key ?? 'bench' });
const room = emitter.to('bench');
// ioredis pipelines commands; keep its command queue short so "max" measures the nodes, not a backlog.
drivePublisher((seq) => room.emit('m', payloadString(seq)), {
  canSend: () => (redis.commandQueue?.length ?? 0) < 2000,
});
process.send({ type: 'ready', pid: process.pid });
process.on('disconnect', () => process.exit(0));
