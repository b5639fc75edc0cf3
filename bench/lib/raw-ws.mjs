/**
 * A tiny RFC 6455 client over net.Socket, built to be cheaper than the servers it measures.
 *
 * After the HTTP/1.1 upgrade it parses frame headers only. A data frame is counted from its header; its
 * payload is collected only when the caller asks for it (`wantPayload(opcode, length)`), otherwise the
 * parser just skips `length` bytes. Control frames (ping/close) are always collected: a ping is answered
 * with a pong, as RFC 6455 requires. Frames sent by the client are masked.
 *
 * Reads use net's `onread` with one buffer shared by every socket of the process: no Buffer per read and no
 * stream machinery ('data' events) between the socket and the parser — with 1,000 sockets written per
 * published message, a 'data' event per socket made the load generator itself the main source of latency.
 * A callback must therefore not keep `payload`: it is a view of that buffer, overwritten by the next read.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/** Every socket of the process reads into this buffer; parsing is synchronous, so one is enough. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export const OP = Object.freeze({ cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 });

/** Masked client frame (FIN set). `mask` may be reused: RFC 6455 only needs it unpredictable to proxies. */
export function clientFrame(opcode, payload) {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  const head = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head - 4);
  for (let i = 0; i < len; i++) out[head + i] = data[i] ^ mask[i & 3];
  return out;
}

/**
 * Opens one WebSocket. Callbacks:
 *   onOpen(conn)                        101 received
 *   onFrame(conn, opcode, payload|null, length)   every data frame (payload null when not collected)
 *   onClose(conn, error|undefined)
 * `conn.wantPayload` (default: always) decides per frame whether its payload is collected.
 */
export class RawWebSocket {
  constructor({ host, port, path, localAddress, protocol, headers = {} }, handlers) {
    this.handlers = handlers;
    this.open = false;
    this.closed = false;
    this.wantPayload = () => true;
    this.frames = 0;
    this.bytes = 0;
    this.state = undefined; // owner's protocol state
    this._carry = null;
    this._skip = 0;
    this._parts = null;
    this._partsOpcode = 0;
    this._partsLength = 0;
    this._http = '';
    const key = randomBytes(16).toString('base64');
    const socket = connect({
      host,
      port,
      localAddress,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n, buf) => {
          const chunk = buf.subarray(0, n);
          if (this.open) this._data(chunk);
          else this._handshake(chunk);
        },
      },
    });
    this.socket = socket;
    socket.on('connect', () => {
      let req =
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
      if (protocol) req += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
      for (const [k, v] of Object.entries(headers)) req += `${k}: ${v}\r\n`;
      socket.write(`${req}\r\n`);
    });
    socket.on('error', (error) => this._close(error));
    socket.on('close', () => this._close(undefined));
  }

  _handshake(chunk) {
    this._http += chunk.toString('latin1');
    const end = this._http.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this._http.length > 16384) this._close(new Error('handshake too long'));
      return;
    }
    const status = this._http.slice(0, this._http.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 101/.test(status)) {
      this._close(new Error(`handshake refused: ${status}`));
      this.socket.destroy();
      return;
    }
    const rest = Buffer.from(this._http.slice(end + 4), 'latin1');
    this._http = '';
    this.open = true;
    this.handlers.onOpen?.(this);
    if (rest.length > 0) this._data(rest);
    // (`rest` is a copy: the handshake text went through a string.)
  }

  _data(chunk) {
    this.bytes += chunk.length;
    let buf = chunk;
    if (this._carry) {
      buf = Buffer.concat([this._carry, chunk]);
      this._carry = null;
    }
    let off = 0;
    const n = buf.length;
    while (off < n) {
      if (this._skip > 0) {
        const take = Math.min(this._skip, n - off);
        if (this._parts) this._parts.push(Buffer.from(buf.subarray(off, off + take)));
        off += take;
        this._skip -= take;
        if (this._skip === 0 && this._parts) {
          const payload = Buffer.concat(this._parts);
          this._parts = null;
          this._frame(this._partsOpcode, payload, this._partsLength);
        }
        continue;
      }
      if (n - off < 2) {
        this._carry = Buffer.from(buf.subarray(off));
        return;
      }
      const b0 = buf[off];
      const b1 = buf[off + 1];
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (n - off < 4) {
          this._carry = Buffer.from(buf.subarray(off));
          return;
        }
        len = buf.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (n - off < 10) {
          this._carry = Buffer.from(buf.subarray(off));
          return;
        }
        len = buf.readUInt32BE(off + 2) * 4294967296 + buf.readUInt32BE(off + 6);
        head = 10;
      }
      if (b1 & 0x80) head += 4; // servers must not mask, but tolerate it (payload then is masked)
      if (n - off < head) {
        this._carry = Buffer.from(buf.subarray(off));
        return;
      }
      off += head;
      const opcode = b0 & 0x0f;
      const collect = opcode >= 8 || this.wantPayload(opcode, len);
      if (!collect) {
        this._frame(opcode, null, len);
        this._skip = len;
        continue;
      }
      if (n - off >= len) {
        const payload = buf.subarray(off, off + len);
        off += len;
        this._frame(opcode, payload, len);
      } else {
        this._parts = [Buffer.from(buf.subarray(off))];
        this._partsOpcode = opcode;
        this._partsLength = len;
        this._skip = len - (n - off);
        off = n;
      }
    }
  }

  _frame(opcode, payload, len) {
    if (opcode === OP.ping) {
      if (!this.closed) this.socket.write(clientFrame(OP.pong, payload));
      return;
    }
    if (opcode === OP.close) {
      this.socket.end();
      return;
    }
    if (opcode === OP.pong) return;
    this.frames++;
    this.handlers.onFrame?.(this, opcode, payload, len);
  }

  send(opcode, payload) {
    if (!this.closed) this.socket.write(clientFrame(opcode, payload));
  }

  sendRaw(bytes) {
    if (!this.closed) this.socket.write(bytes);
  }

  _close(error) {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.handlers.onClose?.(this, error);
  }

  close() {
    if (this.closed) return;
    this.socket.write(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    this.socket.end();
  }
}
