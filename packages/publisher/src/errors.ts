/**
 * Error catalogue of the publisher SDK. Arguments are checked before anything reaches the bus, so a bad
 * call fails fast with one of these; a bus failure (broker down, nack, closed transport) rejects with the
 * transport's BusError (`SB_ERR_BUS_*`) unchanged.
 */

export const PublisherErrorCodes = {
  /** A channel name that breaks the channel rules (see parseChannel in @switchboard/protocol). */
  BadChannel: 'SB_ERR_PUBLISH_BAD_CHANNEL',
  /** An empty user id. */
  BadUser: 'SB_ERR_PUBLISH_BAD_USER',
  /** A connection id that is not `<node>.<random>` with a valid node id. */
  BadConnection: 'SB_ERR_PUBLISH_BAD_CONNECTION',
  /** An empty message type. */
  BadType: 'SB_ERR_PUBLISH_BAD_TYPE',
  /** A payload that is neither bytes, a string nor JSON-serialisable. */
  BadPayload: 'SB_ERR_PUBLISH_BAD_PAYLOAD',
  /** Disconnect options that cannot be sent (close code outside 1000–4999). */
  BadDisconnect: 'SB_ERR_PUBLISH_BAD_DISCONNECT',
  /** A raw delivery without a target (channel, user, connection or all). */
  BadTarget: 'SB_ERR_PUBLISH_BAD_TARGET',
} as const;

export type PublisherErrorCode = (typeof PublisherErrorCodes)[keyof typeof PublisherErrorCodes];

/** A call the publisher refused before touching the bus. `code` is stable; `message` says what to fix. */
export class PublisherError extends Error {
  readonly code: PublisherErrorCode;

  constructor(code: PublisherErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublisherError';
    this.code = code;
  }
}
