/**
 * The broker kit's failure path: with no URL and no reachable engine, starting a broker fails at once with
 * one message that names every way to give the tests their brokers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKafka, startRabbit, startRedis } from './brokers.js';

const SAVED = ['DOCKER_HOST', 'AMQP_URL', 'KAFKA_BROKERS', 'REDIS_URL', 'SWITCHBOARD_TEST_BROKERS'] as const;

describe('test broker kit without engine or URLs', () => {
  const saved = new Map<string, string | undefined>();
  beforeEach(() => {
    for (const name of SAVED) saved.set(name, process.env[name]);
    for (const name of SAVED) delete process.env[name];
    process.env.DOCKER_HOST = 'unix:///nonexistent/switchboard-test-engine.sock';
  });
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  for (const [name, start] of [
    ['RabbitMQ', startRabbit],
    ['Kafka', startKafka],
    ['Redis', startRedis],
  ] as const) {
    it(`${name}: fails fast naming the URL variables, the local mode and the engine setup`, async () => {
      const error: unknown = await start().then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain(`Cannot start ${name}`);
      expect(message).toContain('AMQP_URL / KAFKA_BROKERS / REDIS_URL');
      expect(message).toContain('SWITCHBOARD_TEST_BROKERS=local');
      expect(message).toContain('test/images/setup-podman.sh');
    }, 30_000);
  }

  it('rejects an unknown SWITCHBOARD_TEST_BROKERS value with the allowed ones', async () => {
    process.env.SWITCHBOARD_TEST_BROKERS = 'docker';
    await expect(startRabbit()).rejects.toThrow(/not one of auto, containers, local/);
  });
});
