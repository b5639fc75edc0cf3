/**
 * Just enough Protobuf for the Switchboard wire (proto/switchboard/v1/client.proto), hand-written so that
 * receivers do not load protobufjs: ClientFrame encoding for subscribe/send, ServerFrame decoding.
 */
function varint(n) {
  const out = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function field(no, bytes) {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return Buffer.concat([varint((no << 3) | 2), varint(data.length), data]);
}

function frame(id, kindNo, body) {
  return Buffer.concat([varint(1 << 3), varint(id), field(kindNo, body)]);
}

export const encodeSubscribe = (id, channel) => frame(id, 3, field(1, channel));
export const encodeConnect = (id, token) => frame(id, 2, field(1, token));
export const encodeSend = (id, service, type, payload, requestId, key = '') =>
  frame(
    id,
    5,
    Buffer.concat([
      field(1, service),
      field(2, type),
      field(3, payload),
      ...(requestId ? [field(4, requestId)] : []),
      ...(key ? [field(5, key)] : []),
    ]),
  );

/** Decodes one message into { fieldNo: value } (last wins; length-delimited as Buffer, varints as numbers). */
export function decodeFields(buf) {
  const out = {};
  let off = 0;
  while (off < buf.length) {
    let key = 0;
    let shift = 0;
    let b;
    do {
      b = buf[off++];
      key += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      let v = 0;
      shift = 0;
      do {
        b = buf[off++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      out[no] = v;
    } else if (wire === 2) {
      let len = 0;
      shift = 0;
      do {
        b = buf[off++];
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      if (off + len > buf.length) throw new Error('truncated field');
      out[no] = buf.subarray(off, off + len);
      off += len;
    } else if (wire === 1) off += 8;
    else if (wire === 5) off += 4;
    else throw new Error(`wire type ${wire}`);
  }
  if (off !== buf.length) throw new Error('truncated message');
  return out;
}

/** ServerFrame kinds by field number. */
export const KIND = {
  2: 'connected',
  3: 'subscribed',
  4: 'unsubscribed',
  5: 'publication',
  6: 'push',
  7: 'reply',
  8: 'error',
  9: 'disconnect',
  10: 'pong',
};

export function decodeServerFrame(buf) {
  const f = decodeFields(buf);
  for (const no of Object.keys(f)) if (KIND[no]) return { id: f[1] ?? 0, kind: KIND[no], body: f[no] };
  return { id: f[1] ?? 0, kind: 'unknown', body: undefined };
}
