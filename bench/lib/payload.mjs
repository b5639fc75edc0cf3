/**
 * The 100-byte benchmark payload, ASCII so that every peer carries it unchanged (binary, text, JSON):
 *   "SBTS" + seq (10 digits) + "T" + send time (16 chars, ms on the monotonic clock, 3 decimals) + "x"…
 * process.hrtime is CLOCK_MONOTONIC: the same clock in every process of this machine, so a receiver in
 * another process can subtract the send time from its own clock.
 */
export const PAYLOAD_BYTES = 100;
const MAGIC = 'SBTS';
const MAGIC_BUF = Buffer.from(MAGIC);
const PAD = 'x'.repeat(PAYLOAD_BYTES);

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export function payloadString(seq, timeMs = nowMs()) {
  const head = `${MAGIC}${String(seq).padStart(10, '0')}T${timeMs.toFixed(3).padStart(16, '0')}`;
  return head + PAD.slice(head.length);
}

/** Finds the stamp inside a frame (the payload may be wrapped in Protobuf, JSON or a Socket.IO packet). */
export function peek(buf) {
  const at = buf.indexOf(MAGIC_BUF);
  if (at < 0 || buf.length < at + 31) return undefined;
  const seq = Number(buf.toString('latin1', at + 4, at + 14));
  const timeMs = Number(buf.toString('latin1', at + 15, at + 31));
  return Number.isFinite(seq) && Number.isFinite(timeMs) ? { seq, timeMs } : undefined;
}

export function parsePayload(text) {
  if (text.length !== PAYLOAD_BYTES || !text.startsWith(MAGIC)) return undefined;
  return peek(Buffer.from(text, 'latin1'));
}
