/** Maps kafkajs failures onto the bus error catalogue. */
import { BusRejectedError, BusUnavailableError } from '../errors.js';
import { errorMessage } from './kafka-log.js';

interface KafkaJsErrorShape {
  readonly name?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
}

/** Kinds that say the broker could not be reached or did not answer, whatever wraps them. */
const UNREACHABLE = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

/**
 * Whether a failed call (a send, a subscription) is worth trying again: what kafkajs marks retriable
 * (connection trouble, timeouts, leader moves, a topic whose metadata is not served yet), and exhausted
 * retries (the broker may come back). kafkajs nests retriers: an inner one that gives up on a refused
 * connection reaches the outer one, which wraps it in a KafkaJSNonRetriableError with the connection error
 * as its cause (seen in the Kafka outage drill: "bus rejected the message: Connection error: connect
 * ECONNREFUSED"), so the cause chain is read too. A protocol error the broker marks non-retriable (message
 * too large, invalid topic, authorization) is not, and neither is a non-Kafka error.
 */
export function isTransientKafkaError(error: unknown): boolean {
  let link: unknown = error;
  for (let depth = 0; depth < 8 && typeof link === 'object' && link !== null; depth++) {
    const { name, retriable, cause } = link as KafkaJsErrorShape;
    if (typeof name !== 'string' || !name.startsWith('KafkaJS')) return false;
    if (UNREACHABLE.has(name) || retriable === true) return true;
    if (name === 'KafkaJSProtocolError') return false; // the broker answered, and said no
    link = cause;
  }
  return false;
}

/** The BusError a publish rejects with once it gives up on `error`. */
export function toPublishError(error: unknown, timedOut: boolean): BusRejectedError | BusUnavailableError {
  if (timedOut || isTransientKafkaError(error)) {
    return new BusUnavailableError(
      timedOut ? `no broker accepted the message in time (${errorMessage(error)})` : errorMessage(error),
      { cause: error },
    );
  }
  return new BusRejectedError(errorMessage(error), { cause: error });
}
