import { describe, expect, it } from 'vitest';
import { AmqpUrlError, parseAmqpUrls, redact } from './broker-urls.js';

describe('parseAmqpUrls', () => {
  it('keeps a single URL as it is', () => {
    expect(parseAmqpUrls('amqp://guest:guest@127.0.0.1:5672')).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
  });

  it('splits comma-separated node URLs in order, trimming blanks', () => {
    expect(parseAmqpUrls('amqp://u:p@n1:5701/vh, amqps://u:p@n2:5702/vh ,amqp://n3')).toEqual([
      'amqp://u:p@n1:5701/vh',
      'amqps://u:p@n2:5702/vh',
      'amqp://n3',
    ]);
  });

  it('keeps a percent-encoded comma inside a password', () => {
    expect(parseAmqpUrls('amqp://u:a%2Cb@n1,amqp://u:c@n2')).toEqual(['amqp://u:a%2Cb@n1', 'amqp://u:c@n2']);
  });

  it('refuses a host list and says to give every node a full URL', () => {
    expect(() => parseAmqpUrls('amqp://u:p@n1:5701,n2:5702')).toThrow(AmqpUrlError);
    expect(() => parseAmqpUrls('amqp://u:p@n1:5701,n2:5702')).toThrow(/give every node a full URL/);
  });

  it('refuses an entry of another scheme, naming it without its password', () => {
    expect(() => parseAmqpUrls('amqp://n1,kafka://u:secret@n2:9092')).toThrow(
      /"kafka:\/\/u:\*\*\*@n2:9092" has scheme kafka:/,
    );
  });

  it('refuses an empty setting', () => {
    expect(() => parseAmqpUrls(' , ')).toThrow(/AMQP URL is empty/);
  });
});

describe('redact', () => {
  it('hides the password and keeps the rest', () => {
    expect(redact('amqp://guest:guest@h:5672/v')).toBe('amqp://guest:***@h:5672/v');
    expect(redact('amqp://h:5672')).toBe('amqp://h:5672');
  });
});
