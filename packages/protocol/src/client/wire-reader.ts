/**
 * Protobuf wire-format reader for the browser SDK's codec, for the encodings client.proto uses (varints and
 * length-delimited fields; fixed-width fields of a newer peer are skipped). Every length is checked against the bytes
 * left before anything is read; `bytes` fields are views of the frame (no copy); strings must be valid
 * UTF-8. Varints of up to 4 bytes take a number fast path, longer ones (times, large offsets, negative
 * numbers) go through BigInt so that 64-bit values come out exact up to 2^53.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  #need(bytes: number): void {
    if (this.pos + bytes > this.end)
      throw new RangeError(`index out of range: ${this.pos} + ${bytes} > ${this.end}`);
  }

  /** The raw varint as an unsigned 64-bit value: a number below 2^28, else a bigint. */
  varint(): number | bigint {
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      this.#need(1);
      const byte = this.buf[this.pos++] as number;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
    let big = BigInt(value >>> 0);
    for (let shift = 28n; shift < 70n; shift += 7n) {
      this.#need(1);
      const byte = this.buf[this.pos++] as number;
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, big);
    }
    throw new Error('invalid varint encoding');
  }

  uint32(): number {
    const value = this.varint();
    return typeof value === 'number' ? value : Number(value & 0xffffffffn);
  }

  int32(): number {
    const value = this.varint();
    return typeof value === 'number' ? value | 0 : Number(BigInt.asIntN(32, value));
  }

  uint64(): number {
    return Number(this.varint());
  }

  int64(): number {
    const value = this.varint();
    return typeof value === 'number' ? value : Number(BigInt.asIntN(64, value));
  }

  bool(): boolean {
    const value = this.varint();
    return typeof value === 'number' ? value !== 0 : value !== 0n;
  }

  /** Length-delimited bytes, as a view of the frame. */
  bytes(): Uint8Array {
    const length = this.uint32();
    this.#need(length);
    const value = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** Skips a field of a type this reader does not know (a newer peer's field). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.#need(8);
        this.pos += 8;
        return;
      case 2: {
        const length = this.uint32();
        this.#need(length);
        this.pos += length;
        return;
      }
      case 5:
        this.#need(4);
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}
