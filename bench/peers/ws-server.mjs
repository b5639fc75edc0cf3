/**
 * Peers (a) and (a'): a minimal `ws` broadcast server, no broker. Clients connect on /ws; the publisher
 * (its own process, peers/ws-publisher.mjs) connects on /pub and every message it sends is broadcast.
 *   --mode batched   (a) the Node ceiling: each message is framed once (2-byte header + payload), frames
 *                    queued in one tick are concatenated by `--batch` (default 10) into one shared Buffer,
 *                    and that Buffer is written to every client's raw socket: one write per batch per client.
 *   --mode naive     (a') one `ws.send(payload)` per message per client.
 * Roundtrip: a message from a client on /ws is broadcast to every other client and answered "ok".
 * Backpressure: while any client socket holds more than 1 MiB, the publisher's socket is paused.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { args } from '../lib/pub-driver.mjs';

const opts = args();
const mode = opts.mode ?? 'batched';
const batch = Number(opts.batch ?? 10);
const HIGH = 1 << 20;
const clients = new Set();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = createServer((_req, res) => res.end('ok'));
let pending = [];
let flushScheduled = false;
let pubSockets = [];
let paused = false;

function frameOf(data) {
  const len = data.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x82;
  if (len < 126) out[1] = len;
  else if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  data.copy(out, head);
  return out;
}

function flush() {
  flushScheduled = false;
  const frames = pending;
  pending = [];
  for (let i = 0; i < frames.length; i += batch) {
    const group = frames.slice(i, i + batch);
    const bytes = group.length === 1 ? group[0].frame : Buffer.concat(group.map((f) => f.frame));
    for (const ws of clients) {
      if (group.length === 1 && group[0].except === ws) continue;
      const sock = ws._socket;
      if (group.some((f) => f.except === ws)) {
        for (const f of group) if (f.except !== ws) sock.write(f.frame);
      } else sock.write(bytes);
    }
  }
  checkBackpressure();
}

function broadcast(data, except) {
  if (mode === 'naive') {
    for (const ws of clients) if (ws !== except) ws.send(data, { binary: true });
    checkBackpressure();
    return;
  }
  pending.push({ frame: frameOf(data), except });
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function busiest() {
  let max = 0;
  for (const ws of clients) {
    const n = ws._socket.writableLength + ws.bufferedAmount;
    if (n > max) max = n;
  }
  return max;
}

function checkBackpressure() {
  if (paused || busiest() <= HIGH) return;
  paused = true;
  for (const s of pubSockets) s.pause();
  const poll = setInterval(() => {
    if (busiest() > HIGH / 4) return;
    clearInterval(poll);
    paused = false;
    for (const s of pubSockets) s.resume();
  }, 1);
}

server.on('upgrade', (req, socket, head) => {
  const path = (req.url ?? '/').split('?')[0];
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (path === '/pub') {
      pubSockets.push(ws._socket);
      ws.on('message', (data) => broadcast(data));
      ws.on('close', () => (pubSockets = pubSockets.filter((s) => s !== ws._socket)));
      return;
    }
    clients.add(ws);
    ws.on('message', (data) => {
      broadcast(data, ws);
      ws.send('ok');
    });
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => {});
  });
});

server.listen(Number(opts.port ?? 0), opts.host ?? '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: server.address().port, pid: process.pid });
});
process.on('disconnect', () => process.exit(0));
