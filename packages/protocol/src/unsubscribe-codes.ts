/**
 * Codes of a server-sent `Unsubscribed` frame (a client's own Unsubscribe is answered with code 0).
 *
 * Ranges follow the centrifuge convention, so that a client can act without knowing every code:
 * - 2000–2499: the server ended the subscription; the client stays unsubscribed.
 * - 2500–2999: the subscription may have missed publications (its node lost the bus for a while): the
 *   client subscribes again at once, resuming from its last position (`since`), which recovers the gap
 *   on durable channels. The edge keeps the subscription meanwhile, so live publications keep flowing.
 */
export const UnsubscribeCode = {
  /** Client-requested unsubscribe. */
  Requested: 0,
  /** The edge's bus connection dropped and came back: resubscribe with `since` to recover what was missed. */
  InsufficientState: 2500,
} as const;

export type UnsubscribeCode = (typeof UnsubscribeCode)[keyof typeof UnsubscribeCode];

/** Whether a client should subscribe again (with `since`) after the server sent Unsubscribed `code`. */
export function shouldResubscribe(code: number): boolean {
  return code >= 2500 && code <= 2999;
}
