/** Payload decoders for `service.on(type, handler, { decode })`. A decoder that throws marks the message bad. */

const decoder = new TextDecoder('utf-8', { fatal: true });

export type PayloadDecoder<T> = (payload: Uint8Array) => T;

/** UTF-8 text. */
export const text = (): PayloadDecoder<string> => (payload) => decoder.decode(payload);

/**
 * UTF-8 JSON, optionally checked by `validate` (which returns the typed value or throws). Without a
 * validator the result is only as typed as you claim it is.
 */
export function json<T = unknown>(validate?: (value: unknown) => T): PayloadDecoder<T> {
  return (payload) => {
    const value: unknown = JSON.parse(decoder.decode(payload));
    return validate ? validate(value) : (value as T);
  };
}
