/**
 * Base64 as the proto3 JSON mapping has it for `bytes`: printers write the standard alphabet with padding;
 * parsers accept the standard or the URL-safe alphabet (RFC 4648 §4/§5), padded or not. One alphabet per
 * value, padding only at the end, and no whitespace. The decoded size is computed from the text before the
 * one allocation, so it can never exceed 3/4 of the string's length.
 */

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) VALUES[STANDARD.charCodeAt(i)] = i;
VALUES['-'.charCodeAt(0)] = 62;
VALUES['_'.charCodeAt(0)] = 63;

const SHAPE = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9\-_]*)={0,2}$/;

/** The bytes of `text`, or undefined when it is not base64 the proto3 JSON mapping accepts. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!SHAPE.test(text)) return undefined;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  const padding = text.length - end;
  // Padded: the whole text is quads. Unpadded: a lone trailing character cannot encode a byte.
  if (padding > 0 ? text.length % 4 !== 0 : end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    buffer = ((buffer << 6) | (VALUES[text.charCodeAt(i)] as number)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits of a non-canonical last character ("QR==" for "QQ==") are ignored, as Go and Python do.
  return out;
}

/** Standard alphabet, padded: what every proto3 JSON printer writes. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += STANDARD[n >> 18]! + STANDARD[(n >> 12) & 63]! + STANDARD[(n >> 6) & 63]! + STANDARD[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += STANDARD[n >> 18]! + STANDARD[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += STANDARD[n >> 18]! + STANDARD[(n >> 12) & 63]! + STANDARD[(n >> 6) & 63]! + '=';
  }
  return out;
}
