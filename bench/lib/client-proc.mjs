/**
 * One load-generator process (forked by lib/clients.mjs): opens its share of the connections to the peer,
 * counts data frames ("lean": headers only), optionally decodes them ("verify": full decode + order check)
 * or peeks at the send stamp ("peek", on every `probeEvery`-th connection), and reports over IPC.
 * Connections are spread over the loopback source addresses it is given (127.0.0.2 …) via localAddress.
 */
import { Histogram } from './histogram.mjs';
import { hs256Token } from './hs256.mjs';
import { nowMs, parsePayload, payloadString, peek } from './payload.mjs';
import { decodeServerFrame, encodeSend, encodeSubscribe } from './proto.mjs';
import { OP, RawWebSocket } from './raw-ws.mjs';

let cfg;
const conns = [];
const counters = {
  connected: 0,
  ready: 0,
  failed: 0,
  closed: 0,
  frames: 0,
  gaps: 0,
  reorders: 0,
  decodeErrors: 0,
  sent: 0,
  replies: 0,
};
let latency = new Histogram();
/** Socket start → ready (Subscribed / '40' / open) of every connection (the connections scenario). */
const connectLatency = new Histogram();
let replyLatency = new Histogram();
let connectStartedAt = 0;
let lastReadyAt = 0;
let errorSample;
/** One token per connection when every client signs in (cfg.jwtSecret), else undefined: anonymous. */
let tokens;

const ROOM = 'bench';

function send(type, body = {}) {
  process.send?.({ type, ...body });
}

/** Per-peer protocol: URL path, subprotocol, what to do on open, and which frames are data. */
const protocols = {
  ws: {
    path: () => '/ws',
    onOpen: (c) => ready(c),
    pre: () => {},
    isData: (opcode, len) => (opcode === OP.binary || opcode === OP.text) && len > 2,
    extract: (payload) => payload.toString('latin1'),
    reply: (_c, payload) => payload.length <= 24 && payload.toString('latin1').startsWith('ok'),
  },
  socketio: {
    path: () => '/socket.io/?EIO=4&transport=websocket',
    onOpen: () => {},
    pre: (c, _opcode, payload) => {
      const text = payload.toString('latin1');
      if (text.startsWith('0{')) c.send(OP.text, '40');
      else if (text.startsWith('40')) ready(c);
      else if (text === '2') c.send(OP.text, '3');
      else if (text.startsWith('44')) fail(c, new Error(`socket.io connect error ${text}`));
    },
    // Engine.IO pings are the 1-byte text "2": not data, and answered.
    isData: (opcode, len) => opcode === OP.text && len > 2,
    ping: (c, _opcode, payload) => {
      if (payload && payload.length === 1 && payload[0] === 0x32) {
        c.send(OP.text, '3');
        return true;
      }
      return false;
    },
    extract: (payload) => {
      const text = payload.toString('utf8');
      if (!text.startsWith('42')) throw new Error(`not an event packet: ${text.slice(0, 20)}`);
      const [event, data] = JSON.parse(text.slice(2));
      if (event !== 'm') throw new Error(`event ${event}`);
      return data;
    },
    reply: (_c, payload) => payload[0] === 0x34 && payload[1] === 0x33,
  },
  switchboard: {
    path: (c) => (c.token ? `/ws?token=${c.token}` : '/ws'),
    protocol: 'switchboard.v1.protobuf',
    onOpen: (c) => {
      if (c.sender) return; // a sender with ?token= gets Connected at once
      c.sendRaw(encodeSubscribeFrame());
    },
    pre: (c, _opcode, payload) => {
      const f = decodeServerFrame(payload);
      if (f.kind === 'subscribed' || (c.sender && f.kind === 'connected')) ready(c);
      else if (f.kind === 'error' || f.kind === 'disconnect')
        fail(c, new Error(`switchboard ${f.kind}: ${f.body?.toString('latin1')}`));
    },
    isData: (opcode, len) => opcode === OP.binary && len > 2,
    extract: (payload) => {
      const f = decodeServerFrame(payload);
      if (f.kind !== 'publication') throw new Error(`frame ${f.kind}`);
      const pub = decodeServerFramePublication(f.body);
      return pub;
    },
    reply: (_c, payload) => {
      const f = decodeServerFrame(payload);
      if (f.kind === 'error') return f.id;
      if (f.kind !== 'reply') return 0;
      const requestId = protoMod.decodeFields(f.body)[1]?.toString() ?? '';
      return f.id || Number(requestId.slice(1)) || 0;
    },
  },
};

let subscribeFrame;
function encodeSubscribeFrame() {
  subscribeFrame ??= (() => {
    const body = encodeSubscribe(1, cfg.channel);
    const { clientFrame } = rawWs;
    return clientFrame(OP.binary, body);
  })();
  return subscribeFrame;
}
const rawWs = await import('./raw-ws.mjs');

function decodeServerFramePublication(body) {
  // Publication: 1 channel, 4 type, 5 payload (bytes), 7 time_ms.
  const { decodeFields } = protoMod;
  const p = decodeFields(body);
  if (p[1]?.toString() !== cfg.channel) throw new Error(`publication on ${p[1]?.toString()}`);
  const data = p[5]?.toString('latin1') ?? '';
  if (cfg.roundtrip) return JSON.parse(data).text;
  return data;
}
const protoMod = await import('./proto.mjs');

function ready(c) {
  if (c.isReady) return;
  c.isReady = true;
  counters.ready++;
  if (c.startedAt !== undefined) connectLatency.record(nowMs() - c.startedAt);
  lastReadyAt = nowMs();
  const lean = cfg.mode === 'lean' || (cfg.mode === 'peek' && !c.probe);
  c.wantPayload = lean && !c.sender ? (_opcode, len) => len <= 2 : () => true;
  if (counters.ready + counters.failed === cfg.count)
    send('connected', { ...snapshot(), tookMs: lastReadyAt - connectStartedAt });
}

function fail(c, error) {
  if (c.failedOnce) return;
  c.failedOnce = true;
  errorSample ??= String(error?.message ?? error);
  if (!c.isReady) {
    counters.failed++;
    if (counters.ready + counters.failed === cfg.count)
      send('connected', { ...snapshot(), tookMs: nowMs() - connectStartedAt });
  }
  c.close();
}

function onFrame(c, opcode, payload, len) {
  const proto = protocols[cfg.peer];
  if (!c.isReady) {
    if (payload) proto.pre(c, opcode, payload, len);
    return;
  }
  if (proto.ping?.(c, opcode, payload)) return;
  if (c.sender && payload) {
    const id = proto.reply(c, payload);
    if (id) {
      counters.replies++;
      const sentAt = c.pending.get(cfg.peer === 'switchboard' ? id : c.pending.keys().next().value);
      if (sentAt !== undefined) {
        replyLatency.record(nowMs() - sentAt);
        c.pending.delete(cfg.peer === 'switchboard' ? id : c.pending.keys().next().value);
      }
      return;
    }
  }
  if (!proto.isData(opcode, len)) return;
  counters.frames++;
  if (!payload) return;
  if (cfg.mode === 'verify') {
    let stamp;
    try {
      stamp = parsePayload(proto.extract(payload));
      if (!stamp) throw new Error('payload is not a benchmark stamp');
    } catch (error) {
      counters.decodeErrors++;
      errorSample ??= String(error.message);
      return;
    }
    latency.record(nowMs() - stamp.timeMs);
    if (!cfg.roundtrip && c.lastSeq !== undefined) {
      if (stamp.seq <= c.lastSeq) counters.reorders++;
      else if (stamp.seq !== c.lastSeq + 1) counters.gaps += stamp.seq - c.lastSeq - 1;
    }
    c.lastSeq = stamp.seq;
  } else {
    const stamp = peek(payload);
    if (stamp) latency.record(nowMs() - stamp.timeMs);
  }
}

function snapshot() {
  return { ...counters };
}

function openOne(i) {
  const global = cfg.start + i;
  const target = cfg.targets[global % cfg.targets.length];
  const localAddress = cfg.localAddresses[global % cfg.localAddresses.length];
  const sender = i < (cfg.senders ?? 0);
  const token = sender ? cfg.tokens?.[i] : tokens?.[i];
  const proto = protocols[cfg.peer];
  return new Promise((resolve) => {
    const c = new RawWebSocket(
      {
        host: target.host,
        port: target.port,
        path: proto.path({ token }),
        localAddress,
        protocol: proto.protocol,
      },
      {
        onOpen: (conn) => {
          counters.connected++;
          proto.onOpen(conn);
          resolve();
        },
        onFrame,
        onClose: (conn, error) => {
          counters.closed++;
          if (!conn.isReady) fail(conn, error ?? new Error('closed before ready'));
          else if (!stopping) errorSample ??= `closed after ready${error ? `: ${error.message}` : ''}`;
          resolve();
        },
      },
    );
    c.sender = sender;
    c.token = token;
    c.pending = new Map();
    c.probe = cfg.mode === 'peek' && global % cfg.probeEvery === 0;
    c.startedAt = nowMs();
    c.wantPayload = () => true;
    conns.push(c);
  });
}

async function connectAll() {
  connectStartedAt = nowMs();
  let next = 0;
  const worker = async () => {
    while (next < cfg.count) await openOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency, cfg.count) }, worker));
}

let sendTimer;
let stopping = false;
function startSending({ ratePerSecond, seqBase = 0 }) {
  const senders = conns.filter((c) => c.sender && c.isReady);
  if (senders.length === 0) return;
  let due = 0;
  let last = nowMs();
  let seq = seqBase;
  let rr = 0;
  let frameId = 10;
  clearInterval(sendTimer);
  sendTimer = setInterval(() => {
    const now = nowMs();
    due += ((now - last) * ratePerSecond) / 1000;
    last = now;
    while (due >= 1) {
      due--;
      const c = senders[rr++ % senders.length];
      const text = payloadString(seq++);
      const t = nowMs();
      if (cfg.peer === 'switchboard') {
        const id = frameId++;
        c.pending.set(id, t);
        c.sendRaw(
          rawWs.clientFrame(
            OP.binary,
            encodeSend(id, 'chat', 'chat.send', JSON.stringify({ room: ROOM, text }), `r${id}`),
          ),
        );
      } else if (cfg.peer === 'socketio') {
        const id = frameId++;
        c.pending.set(id, t);
        c.send(OP.text, `42${id}["m","${text}"]`);
      } else {
        c.pending.set(seq, t);
        c.send(OP.text, text);
      }
      counters.sent++;
    }
  }, 5);
}

process.on('message', async (msg) => {
  switch (msg.type) {
    case 'init':
      cfg = msg.config;
      // Connection tokens (connections --jwt on): signed here before the clock starts.
      if (cfg.jwtSecret)
        tokens = Array.from({ length: cfg.count }, (_, i) =>
          hs256Token(cfg.jwtSecret, `bench-u${cfg.start + i}`),
        );
      send('inited', { pid: process.pid });
      break;
    case 'connect':
      await connectAll();
      break;
    case 'snapshot':
      send('snapshot', { ...snapshot(), errorSample });
      break;
    case 'reset':
      counters.frames = 0;
      counters.gaps = 0;
      counters.reorders = 0;
      counters.decodeErrors = 0;
      counters.sent = 0;
      counters.replies = 0;
      latency = new Histogram();
      replyLatency = new Histogram();
      for (const c of conns) c.lastSeq = undefined;
      send('reset-done');
      break;
    case 'collect':
      send('collected', {
        ...snapshot(),
        errorSample,
        latency: latency.toJSON(),
        connectLatency: connectLatency.toJSON(),
        replyLatency: replyLatency.toJSON(),
      });
      break;
    case 'send':
      startSending(msg);
      send('sending');
      break;
    case 'stop-sending':
      clearInterval(sendTimer);
      send('stopped-sending');
      break;
    case 'close':
      stopping = true;
      clearInterval(sendTimer);
      for (const c of conns) c.socket.destroy();
      setTimeout(() => process.exit(0), 50);
      break;
  }
});

setInterval(() => send('progress', snapshot()), cfgReportMs()).unref();
function cfgReportMs() {
  return Number(process.env.BENCH_REPORT_MS ?? 50);
}
process.on('disconnect', () => process.exit(0));
