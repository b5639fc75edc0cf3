/** The JSON subprotocol speaks the proto3 JSON mapping: what it accepts, refuses and prints. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientFrameFromJson,
  clientFrameToJson,
  encodeClientFrame,
  serverFrameFromJson,
  serverFrameToJson,
} from './codec.js';
import { DecodeError } from './errors.js';

const send = (payload: string) => `{"id":5,"send":{"service":"chat","type":"t","payload":${payload}}}`;
const ping = (timeMs: string) => `{"id":3,"ping":{"timeMs":${timeMs}}}`;
const history = (field: string) => `{"id":4,"history":{"channel":"c",${field}}}`;

/** Frames the JSON decoder must refuse, and the part of the DecodeError message that says why. */
const refused: ReadonlyArray<readonly [string, string, RegExp]> = [
  // bytes: only a base64 string
  [
    'bytes as {length}',
    send('{"length":100000000}'),
    /send\.payload: bytes must be a base64 string, got object/,
  ],
  ['bytes as an array', send('[1,2,3]'), /bytes must be a base64 string, got array/],
  ['bytes as a number', send('100000000'), /got number/],
  ['bytes as {length: -1}', send('{"length":-1}'), /got object/],
  ['bytes as {0:1,length:1}', send('{"0":1,"length":1}'), /got object/],
  ['bytes, not base64', send('"hello world"'), /must be base64/],
  ['bytes, mixed alphabets', send('"ab+_"'), /must be base64/],
  ['bytes, padding inside', send('"ab=c"'), /must be base64/],
  ['bytes, lone trailing char', send('"abcde"'), /must be base64/],
  ['bytes, wrong padding', send('"abc=="'), /must be base64/],
  ['bytes, whitespace', send('"aGk= "'), /must be base64/],
  // integers: finite, integral, in range, number or decimal string
  ['int64 NaN string', ping('"NaN"'), /int64 expects an integer number or a decimal string/],
  ['int64 1e400 (Infinity)', ping('1e400'), /int64 expects an integer, got Infinity/],
  ['int64 fraction', ping('1.5'), /int64 expects an integer, got 1.5/],
  ['int64 beyond 2^53', ping('9007199254740993'), /out of range for int64/],
  ['int64 string beyond 2^53', ping('"9223372036854775807"'), /out of range for int64/],
  ['int64 hex string', ping('"0x10"'), /decimal string/],
  ['int64 as object', ping('{"low":1,"high":0}'), /got object/],
  ['int64 as bool', ping('true'), /got boolean/],
  ['uint32 negative', '{"id":-1,"ping":{}}', /-1 is out of range for uint32/],
  ['uint32 too big', '{"id":4294967296,"ping":{}}', /out of range for uint32/],
  ['uint32 huge', '{"id":1e300,"ping":{}}', /out of range for uint32/],
  ['uint64 negative string', history('"beforeOffset":"-1"'), /out of range for uint64/],
  ['uint64 empty string', history('"beforeOffset":""'), /decimal string/],
  // shapes
  ['message as array', '{"id":1,"subscribe":[]}', /subscribe: object expected, got array/],
  ['message as string', '{"id":1,"subscribe":"chat:x"}', /object expected, got string/],
  [
    'repeated as object',
    '{"id":1,"ack":{"ids":{"length":100000000}}}',
    /ack\.ids: repeated field expects an array/,
  ],
  ['repeated with null', '{"id":1,"ack":{"ids":["a",null]}}', /ack\.ids\[1\]: null is not allowed/],
  ['repeated of wrong type', '{"id":1,"ack":{"ids":[1]}}', /ack\.ids\[0\]: string expected/],
  ['string as number', '{"subscribe":{"channel":5}}', /subscribe\.channel: string expected/],
  ['string with a lone surrogate', '{"subscribe":{"channel":"\\ud800"}}', /lone surrogate/],
  ['two members of a oneof', '{"id":1,"ping":{},"ack":{}}', /at most one field of oneof kind/],
  ['a field under both names', '{"id":1,"ping":{"timeMs":1,"time_ms":2}}', /given twice/],
  ['unknown field', '{"id":1,"ping":{"timeMS":1}}', /ping\.timeMS: unknown field of switchboard\.v1\.Ping/],
  ['__proto__ key', '{"id":1,"ping":{"__proto__":{"timeMs":1}}}', /unknown field/],
  ['no command', '{"id":1}', /no kind set/],
  ['top level array', '[]', /must be an object/],
  ['top level string', '"x"', /must be an object/],
  ['not JSON', '{"id":', /not JSON/],
  ['10,000 nested arrays', '['.repeat(10_000) + ']'.repeat(10_000), /nested deeper than 32 \(maxDepth\)/],
  ['10,000 nested objects', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), /nested deeper than 32/],
  [
    'deep nesting in a field',
    `{"id":1,"ping":{"timeMs":${'['.repeat(100)}${']'.repeat(100)}}}`,
    /nested deeper/,
  ],
];

describe('JSON decoding refuses what the proto3 JSON mapping does not allow', () => {
  for (const [name, text, why] of refused) {
    it(name, () => {
      let error: unknown;
      try {
        clientFrameFromJson(text);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).wire).toBe(100);
      expect((error as DecodeError).message).toMatch(why);
    });
  }

  it('counts nesting outside strings only', () => {
    const frame = clientFrameFromJson(`{"id":1,"subscribe":{"channel":"${'[{'.repeat(50)}\\"["}}`);
    expect(frame.subscribe?.channel).toBe(`${'[{'.repeat(50)}"[`);
  });

  it('refuses text longer than maxLength and nesting deeper than maxDepth, both options', () => {
    const text = '{"id":1,"ping":{"timeMs":"42"}}';
    expect(() => clientFrameFromJson(text, { maxLength: text.length - 1 })).toThrow(/exceeds maxLength 30/);
    expect(clientFrameFromJson(text, { maxLength: text.length }).ping?.timeMs).toBe(42);
    expect(() => clientFrameFromJson(text, { maxDepth: 1 })).toThrow(/deeper than 1 \(maxDepth\)/);
    expect(clientFrameFromJson(text, { maxDepth: 2 }).kind).toBe('ping');
  });

  it('any text gives a frame or a DecodeError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ send: v })),
        ),
        (text) => {
          try {
            clientFrameFromJson(text);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('JSON decoding accepts standard Protobuf JSON (issue 14)', () => {
  it('takes 64-bit integers as decimal strings and as numbers', () => {
    const fromString = clientFrameFromJson(
      '{"id":7,"subscribe":{"channel":"chat:x","since":{"offset":"1","epoch":"e"}}}',
    );
    expect(fromString.subscribe?.since?.offset).toBe(1);
    expect(clientFrameFromJson('{"id":3,"ping":{"timeMs":"42"}}').ping?.timeMs).toBe(42);
    expect(clientFrameFromJson('{"id":3,"ping":{"timeMs":42}}').ping?.timeMs).toBe(42);
    expect(clientFrameFromJson('{"id":3,"ping":{"timeMs":"-42"}}').ping?.timeMs).toBe(-42);
    expect(clientFrameFromJson('{"id":3,"ping":{"timeMs":4.2e1}}').ping?.timeMs).toBe(42);
    expect(clientFrameFromJson('{"id":"3","ping":{}}').id).toBe(3);
    expect(clientFrameFromJson(ping(String(Number.MAX_SAFE_INTEGER))).ping?.timeMs).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('takes lowerCamelCase and .proto (snake_case) field names', () => {
    const camel = clientFrameFromJson('{"id":1,"send":{"service":"s","requestId":"r1","payload":"aGk="}}');
    const snake = clientFrameFromJson('{"id":1,"send":{"service":"s","request_id":"r1","payload":"aGk="}}');
    expect(encodeClientFrame(snake)).toEqual(encodeClientFrame(camel));
    expect(snake.send?.requestId).toBe('r1');
    expect(
      clientFrameFromJson('{"id":1,"history":{"channel":"c","before_offset":"9"}}').history?.beforeOffset,
    ).toBe(9);
  });

  it('takes base64 in the standard and the URL-safe alphabet, padded or not', () => {
    for (const payload of ['"+/8="', '"+/8"', '"-_8="', '"-_8"']) {
      expect(Array.from(clientFrameFromJson(send(payload)).send?.payload ?? [])).toEqual([0xfb, 0xff]);
    }
    expect(clientFrameFromJson(send('""')).send?.payload).toHaveLength(0);
  });

  it('takes null as "not set", for every kind of field', () => {
    const frame = clientFrameFromJson(
      '{"id":null,"connect":null,"send":{"service":null,"payload":null,"requestId":"r"},"ack":null}',
    );
    expect(frame.kind).toBe('send');
    expect(frame.id).toBe(0);
    expect(frame.send?.payload).toHaveLength(0);
  });

  it('ignores fields a newer edge may add when reading ServerFrames, unless told to reject them', () => {
    const text = '{"id":2,"pong":{"timeMs":"42","newField":{"x":[1]}},"alsoNew":true}';
    expect(serverFrameFromJson(text).pong?.timeMs).toBe(42);
    expect(() => serverFrameFromJson(text, { unknownFields: 'reject' })).toThrow(
      /pong\.newField: unknown field/,
    );
  });
});

describe('JSON printing follows the proto3 JSON mapping', () => {
  it('prints int64 as strings, bytes as padded standard base64, leaves defaults out', () => {
    const json = serverFrameToJson({
      id: 0,
      subscribed: {
        channel: 'c',
        durable: false,
        position: { offset: 0, epoch: 'e' },
        publications: [
          { channel: 'c', offset: 3, payload: new Uint8Array([0xfb, 0xff]), timeMs: 1_700_000_000_000 },
        ],
      },
    });
    expect(JSON.parse(json)).toEqual({
      subscribed: {
        channel: 'c',
        position: { epoch: 'e' },
        publications: [{ channel: 'c', offset: '3', payload: '+/8=', timeMs: '1700000000000' }],
      },
    });
  });

  it('prints an empty message that is set, and a oneof member holding a default value', () => {
    expect(JSON.parse(serverFrameToJson({ id: 9, pong: {} }))).toEqual({ id: 9, pong: {} });
    expect(JSON.parse(clientFrameToJson({ ack: { ids: [] } }))).toEqual({ ack: {} });
  });

  it('round-trips what it prints, in both frame directions', () => {
    const client = { id: 1, ping: { timeMs: 123 } };
    expect(clientFrameFromJson(clientFrameToJson(client)).ping?.timeMs).toBe(123);
    const server = serverFrameToJson({
      id: 2,
      connected: { connectionId: 'n.1', expiresAtMs: 99, pingIntervalMs: 5 },
    });
    expect(JSON.parse(server)).toEqual({
      id: 2,
      connected: { connectionId: 'n.1', pingIntervalMs: 5, expiresAtMs: '99' },
    });
    expect(serverFrameFromJson(server).connected?.expiresAtMs).toBe(99);
  });
});
