/**
 * Reading a string header of a consumed message, the one way the work, dead-letter and node-inbox
 * consumers all do it: a header that arrives as bytes is read as UTF-8, any other type counts as absent.
 */
import type { ConsumeMessage } from 'amqplib';

export function headerString(message: ConsumeMessage, name: string): string | undefined {
  const value: unknown = message.properties.headers?.[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
