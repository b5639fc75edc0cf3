import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BusRejectedError, BusUnavailableError } from '../errors.js';
import { isTransientKafkaError, toPublishError } from './kafka-errors.js';

/** What kafkajs' outer retrier throws when an inner one gave up (retry/index.js): cause = the inner cause. */
const wrappedByRetrier = (cause: Error) =>
  Object.assign(new KafkaJSNonRetriableError(cause), { cause }) as Error;

const protocolError = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 1, retriable }));

describe('kafka send errors', () => {
  it('treats connection trouble, retriable protocol errors and exhausted retries as transient', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    expect(isTransientKafkaError(refused)).toBe(true);
    expect(isTransientKafkaError(protocolError('LEADER_NOT_AVAILABLE', true))).toBe(true);
    expect(
      isTransientKafkaError(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 100 })),
    ).toBe(true);
  });

  it('reads the cause chain: a refused connection wrapped by an outer retrier is still transient', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    const wrapped = wrappedByRetrier(refused);
    expect(isTransientKafkaError(wrapped)).toBe(true);
    expect(toPublishError(wrapped, false)).toBeInstanceOf(BusUnavailableError);
    const tooLarge = protocolError('MESSAGE_TOO_LARGE', false);
    expect(isTransientKafkaError(wrappedByRetrier(tooLarge))).toBe(false);
  });

  it('treats refusals and foreign errors as final', () => {
    expect(isTransientKafkaError(protocolError('MESSAGE_TOO_LARGE', false))).toBe(false);
    expect(isTransientKafkaError(new KafkaJSNonRetriableError('Invalid message'))).toBe(false);
    expect(isTransientKafkaError(new KafkaJSError('not retriable', { retriable: false }))).toBe(false);
    expect(isTransientKafkaError(new TypeError('bug'))).toBe(false);
    expect(isTransientKafkaError('text')).toBe(false);
  });

  it('maps onto the bus error catalogue with the cause kept', () => {
    const refused = new KafkaJSConnectionError('Connection error');
    const unavailable = toPublishError(refused, false);
    expect(unavailable).toBeInstanceOf(BusUnavailableError);
    expect(unavailable.cause).toBe(refused);
    const tooLarge = protocolError('MESSAGE_TOO_LARGE', false);
    expect(toPublishError(tooLarge, false)).toBeInstanceOf(BusRejectedError);
    expect(toPublishError(tooLarge, true)).toBeInstanceOf(BusUnavailableError);
  });
});
