/** Publisher of the ws peers: one `ws` client per server node on /pub, each message sent to every node. */
import WebSocket from 'ws';
import { payloadString } from '../lib/payload.mjs';
import { args, drivePublisher } from '../lib/pub-driver.mjs';

const opts = args();
const urls = opts.urls.split(',');
const sockets = await Promise.all(
  urls.map(
    (url) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
  ),
);
drivePublisher(
  (seq) => {
    const data = Buffer.from(payloadString(seq), 'latin1');
    for (const ws of sockets) ws.send(data, { binary: true });
  },
  { canSend: () => sockets.every((ws) => ws.bufferedAmount < 256 * 1024) },
);
process.send({ type: 'ready', pid: process.pid });
process.on('disconnect', () => process.exit(0));
