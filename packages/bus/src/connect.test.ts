import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { busKind, connectBus, kafkaBrokers } from './connect.js';
import { BusNameError, BusUnavailableError } from './errors.js';

describe('connectBus', () => {
  it('classifies bus URLs', () => {
    expect(busKind('memory')).toBe('memory');
    expect(busKind('amqp://guest:guest@127.0.0.1:5672')).toBe('amqp');
    expect(busKind('amqps://h')).toBe('amqp');
    expect(busKind('kafka://a:9092,b:9092')).toBe('kafka');
    expect(busKind('redis://x')).toBe('redis');
    expect(busKind('rediss://user:pw@x:6380/2')).toBe('redis');
    expect(busKind('nats://x')).toBeUndefined();
  });

  it('splits Kafka broker lists and refuses an empty one', () => {
    expect(kafkaBrokers('kafka://a:9092, b:9093')).toEqual(['a:9092', 'b:9093']);
    expect(kafkaBrokers('kafka://a:9092,b:9093?replication=2')).toEqual(['a:9092', 'b:9093']);
    expect(() => kafkaBrokers('kafka://')).toThrow(BusNameError);
  });

  it('opens the memory bus and names the supported forms for anything else', async () => {
    const transport = await connectBus('memory');
    expect(transport.kind).toBe('memory');
    await transport.close();
    await expect(connectBus('nats://127.0.0.1:4222')).rejects.toThrow(
      /use memory, amqp:\/\/.*, kafka:\/\/.* or redis:\/\//,
    );
  });

  it('fails the start with BusUnavailableError when the Redis URL answers nothing', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(connectBus(`redis://127.0.0.1:${port}`)).rejects.toBeInstanceOf(BusUnavailableError);
  });
});
