/** Payload bytes: Uint8Array as is, strings as UTF-8, anything else as UTF-8 JSON. */
import { PublisherError, PublisherErrorCodes } from './errors.js';

export type Payload = Uint8Array | string | number | boolean | null | readonly unknown[] | object;

const encoder = new TextEncoder();

export function toPayloadBytes(payload: Payload): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === 'string') return encoder.encode(payload);
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new PublisherError(PublisherErrorCodes.BadPayload, 'payload is not JSON-serialisable', { cause });
  }
  if (json === undefined)
    throw new PublisherError(
      PublisherErrorCodes.BadPayload,
      `payload of type ${typeof payload} has no JSON form`,
    );
  return encoder.encode(json);
}
