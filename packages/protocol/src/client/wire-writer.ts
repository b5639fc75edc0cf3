/**
 * Protobuf wire-format writer for the browser SDK's codec: a growing byte buffer with the encodings
 * client.proto uses (varints and length-delimited fields; no fixed-width, float or zigzag field exists
 * there, and scripts/compact-descriptor.mjs refuses one until this codec learns it). 64-bit integers are JS
 * numbers (exact up to 2^53, as the server's protobufjs classes decode them); negative ones go through
 * BigInt for their two's-complement form.
 */

const utf8 = new TextEncoder();

export class WireWriter {
  #buf = new Uint8Array(64);
  #pos = 0;

  #reserve(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }

  /** Field number and wire type. */
  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A non-negative integer (up to 2^64 - 1) as a varint. */
  varint(value: number): void {
    this.#reserve(10);
    while (value >= 0x80) {
      this.#buf[this.#pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#buf[this.#pos++] = value;
  }

  /** int32/int64/enum: negative values are written as 64-bit two's complement (10 bytes). */
  signedVarint(value: number): void {
    if (value >= 0) this.varint(value);
    else this.bigVarint(BigInt.asUintN(64, BigInt(value)));
  }

  bigVarint(value: bigint): void {
    this.#reserve(10);
    while (value >= 0x80n) {
      this.#buf[this.#pos++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    this.#buf[this.#pos++] = Number(value);
  }

  /** Length-delimited bytes (also nested messages and packed repeated fields, encoded apart first). */
  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#pos);
    this.#pos += value.length;
  }

  string(value: string): void {
    this.bytes(utf8.encode(value));
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}
