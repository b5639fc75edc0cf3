/** Maps kafkajs failures onto the bus error catalogue. */
import { BusRejectedError, BusUnavailableError } from '../errors.js';
import { errorMessage } from './kafka-log.js';

interface KafkaJsErrorShape {
  readonly name?: unknown;
  readonly retriable?: unknown;
}

/**
 * Whether a failed call (a send, a subscription) is worth trying again: what kafkajs marks retriable
 * (connection trouble, timeouts, leader moves, a topic whose metadata is not served yet), and exhausted
 * retries (the broker may come back). A protocol error the broker marks non-retriable (message too large,
 * invalid topic, authorization) is not, and neither is a non-Kafka error.
 */
export function isTransientKafkaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, retriable } = error as KafkaJsErrorShape;
  if (typeof name !== 'string' || !name.startsWith('KafkaJS')) return false;
  return name === 'KafkaJSNumberOfRetriesExceeded' || retriable === true;
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
