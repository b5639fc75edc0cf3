/**
 * One load-generator process of the `storm` scenario (forked by bench/lib/storm.mjs): `count` clients that
 * stay connected the way the SDK does (packages/client): when a socket ends they reconnect after a
 * full-jitter backoff — delay uniform in [0, min(max, min·2^attempt)], min 500 ms, max 20 s, attempt reset
 * once subscribed — and an attempt not subscribed within the handshake timeout (10 s, the SDK's
 * connectTimeoutMs) is abandoned, counted and retried. "Ready" means: ws open (ws), Engine.IO + Socket.IO
 * connected (socketio), Subscribed on the channel (switchboard; with a token per client when given).
 */
import { hs256Token } from './hs256.mjs';
import { decodeServerFrame, encodeSubscribe } from './proto.mjs';
import { clientFrame, OP, RawWebSocket } from './raw-ws.mjs';

let cfg;
const counters = { open: 0, ready: 0, attempts: 0, timeouts: 0, refused: 0, closedAfterReady: 0 };
let clients = [];
let subscribeFrame;

const send = (type, body = {}) => process.send?.({ type, ...body });

function backoffDelay(attempt) {
  const ceiling = Math.min(cfg.maxDelayMs, cfg.minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(Math.random() * (ceiling + 1));
}

const protocols = {
  ws: {
    path: () => '/ws',
    onOpen: (c) => ready(c),
    onFrame: () => {},
  },
  socketio: {
    path: () => '/socket.io/?EIO=4&transport=websocket',
    onOpen: () => {},
    onFrame: (c, ws, payload) => {
      const text = payload.toString('latin1');
      if (text.startsWith('0{')) ws.send(OP.text, '40');
      else if (text.startsWith('40')) ready(c);
      else if (text === '2') ws.send(OP.text, '3');
    },
  },
  switchboard: {
    path: (c) => (c.token ? `/ws?token=${c.token}` : '/ws'),
    protocol: 'switchboard.v1.protobuf',
    onOpen: (_c, ws) => ws.sendRaw(subscribeFrame),
    onFrame: (c, ws, payload) => {
      const f = decodeServerFrame(payload);
      if (f.kind === 'subscribed') ready(c);
      else if (f.kind === 'error' || f.kind === 'disconnect') ws.close();
    },
  },
};

function ready(c) {
  if (c.ready) return;
  c.ready = true;
  c.attempt = 0;
  clearTimeout(c.timer);
  counters.ready++;
  c.onReady?.();
  c.onReady = undefined;
}

function attempt(c) {
  if (cfg.stopping) return;
  const proto = protocols[cfg.peer];
  counters.attempts++;
  const ws = new RawWebSocket(
    {
      host: cfg.target.host,
      port: cfg.target.port,
      path: proto.path(c),
      localAddress: c.localAddress,
      protocol: proto.protocol,
    },
    {
      onOpen: () => {
        counters.open++;
        c.open = true;
        proto.onOpen(c, ws);
      },
      onFrame: (_ws, _opcode, payload) => {
        if (payload && (!c.ready || cfg.peer === 'socketio')) proto.onFrame(c, ws, payload);
      },
      onClose: (_ws, error) => {
        if (c.ws !== ws) return;
        clearTimeout(c.timer);
        if (c.open) counters.open--;
        c.open = false;
        if (c.ready) {
          c.ready = false;
          counters.ready--;
          counters.closedAfterReady++;
        } else if (error?.code === 'ECONNREFUSED') counters.refused++;
        c.ws = undefined;
        if (!cfg.stopping) c.timer = setTimeout(() => attempt(c), backoffDelay(c.attempt++));
      },
    },
  );
  ws.wantPayload = () => true;
  c.ws = ws;
  c.timer = setTimeout(() => {
    if (c.ws !== ws || c.ready) return;
    counters.timeouts++;
    ws._close(new Error('handshake timeout'));
  }, cfg.handshakeTimeoutMs);
}

/** Initial connect: at most `concurrency` attempts in flight, like the connections scenario. */
async function connectAll() {
  let next = 0;
  const worker = async () => {
    while (next < clients.length) {
      const c = clients[next++];
      await new Promise((resolve) => {
        c.onReady = resolve;
        attempt(c);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency, clients.length) }, worker));
  send('connected', { ...counters });
}

process.on('message', (msg) => {
  switch (msg.type) {
    case 'init':
      cfg = msg.config;
      subscribeFrame = clientFrame(OP.binary, encodeSubscribe(1, cfg.channel));
      clients = Array.from({ length: cfg.count }, (_, i) => ({
        attempt: 0,
        ready: false,
        open: false,
        localAddress: cfg.localAddresses[(cfg.start + i) % cfg.localAddresses.length],
        token: cfg.jwtSecret ? hs256Token(cfg.jwtSecret, `bench-u${cfg.start + i}`) : undefined,
      }));
      send('inited', { pid: process.pid });
      break;
    case 'connect':
      void connectAll();
      break;
    case 'close':
      cfg.stopping = true;
      for (const c of clients) {
        clearTimeout(c.timer);
        c.ws?.socket.destroy();
      }
      setTimeout(() => process.exit(0), 50);
      break;
  }
});

setInterval(() => send('progress', { ...counters }), 50).unref();
process.on('disconnect', () => process.exit(0));
