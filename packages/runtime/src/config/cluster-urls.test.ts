import { describe, expect, it } from 'vitest';
import { busUrl, redisUrl } from './settings.js';

describe('broker cluster URL forms in SWITCHBOARD_BUS and REDIS_URL', () => {
  it('accepts RabbitMQ node lists, Kafka host lists and Sentinel URLs', () => {
    for (const value of [
      'amqp://guest:guest@127.0.0.1:5701,amqp://guest:guest@127.0.0.1:5702',
      'amqp://u:p@n1:5672/vh, amqps://u:p@n2:5671/vh',
      'kafka://a:9092,b:9092,c:9092',
      'redis+sentinel://s1:26401,s2:26402,s3:26403/m',
    ]) {
      expect(busUrl().parse(value)).toBe(value);
    }
    expect(redisUrl().parse('redis+sentinel://:pw@s1:26401,s2:26402/m/1')).toBe(
      'redis+sentinel://:pw@s1:26401,s2:26402/m/1',
    );
  });

  it('refuses a list with an entry of a scheme not allowed, or a host that is not one', () => {
    expect(() => busUrl().parse('amqp://n1,http://n2')).toThrow(/SWITCHBOARD_BUS|is not/);
    expect(() => busUrl().parse('amqp://n1:5701,n2:notaport')).toThrow(/is not/);
    expect(() => redisUrl().parse('redis+sentinel://s1:26401,amqp://x/m')).toThrow(/is not/);
  });
});
