/** Reading and writing the string headers the transport puts on Kafka records. */
import type { IHeaders } from 'kafkajs';

/** The first value of a header as UTF-8, or undefined. */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Bytes of a record value as a Uint8Array view (no copy); an empty value for a null record. */
export function recordBytes(value: Buffer | null): Uint8Array {
  return value ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(0);
}

/** A Buffer view of bytes for a record value (no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
