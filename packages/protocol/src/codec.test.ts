import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientFrameFromJson,
  decodeClientFrame,
  decodeDelivery,
  decodeDeliveryReceipt,
  decodeInbound,
  decodeLifecycleEvent,
  decodeOrderEvent,
  decodeServerFrame,
  encodeClientFrame,
  encodeDelivery,
  encodeOrderEvent,
  encodeServerFrame,
  serverFrameFromJson,
  serverFrameToJson,
} from './codec.js';
import { DecodeError } from './errors.js';

const decoders = {
  decodeClientFrame,
  decodeServerFrame,
  decodeInbound,
  decodeDelivery,
  decodeLifecycleEvent,
  decodeOrderEvent,
  decodeDeliveryReceipt,
};

/** Decoding either succeeds or throws DecodeError; nothing else may escape. */
function onlyTypedErrors(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe('SB_ERR_BAD_FRAME');
  }
}

const sampleClientFrame = encodeClientFrame({
  id: 7,
  subscribe: { channel: 'chat:room-1', since: { offset: 42, epoch: 'e1' }, token: 'sub-token' },
});
const sampleDelivery = encodeDelivery({
  channel: 'chat:room-1',
  exceptConnection: 'n1.abc',
  durable: true,
  publishedAtMs: Date.now(),
  publication: {
    channel: 'chat:room-1',
    offset: 9,
    epoch: 'e1',
    type: 'msg',
    payload: new Uint8Array([1, 2, 3]),
  },
});

describe('frame codec', () => {
  it('round-trips a client frame', () => {
    const frame = decodeClientFrame(sampleClientFrame);
    expect(frame.id).toBe(7);
    expect(frame.kind).toBe('subscribe');
    expect(frame.subscribe?.since?.offset).toBe(42);
  });

  it('round-trips a delivery with its target and body', () => {
    const delivery = decodeDelivery(sampleDelivery);
    expect(delivery.target).toBe('channel');
    expect(delivery.body).toBe('publication');
    expect(Array.from(delivery.publication?.payload ?? [])).toEqual([1, 2, 3]);
  });

  for (const [name, decode] of Object.entries(decoders)) {
    it(`${name}: random bytes give a frame or a DecodeError, never another exception`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => onlyTypedErrors(decode, bytes)),
        {
          numRuns: 2_000,
        },
      );
    });
  }

  it('truncated frames give DecodeError, never another exception', () => {
    for (const sample of [sampleClientFrame, sampleDelivery]) {
      for (let cut = 0; cut < sample.length; cut++) {
        onlyTypedErrors(decodeClientFrame, sample.subarray(0, cut));
        onlyTypedErrors(decodeDelivery, sample.subarray(0, cut));
      }
    }
  });

  it('mutated frames give a frame or a DecodeError', () => {
    fc.assert(
      fc.property(fc.nat(sampleClientFrame.length - 1), fc.integer({ min: 0, max: 255 }), (index, value) => {
        const mutated = Uint8Array.from(sampleClientFrame);
        mutated[index] = value;
        onlyTypedErrors(decodeClientFrame, mutated);
      }),
      { numRuns: 2_000 },
    );
  });

  it('round-trips an order event and refuses one without a kind', () => {
    const event = decodeOrderEvent(
      encodeOrderEvent({ eventId: 'e1', orderId: 'o1', userId: 'u1', shipped: { carrier: 'DHL' } }),
    );
    expect(event.kind).toBe('shipped');
    expect(event.shipped?.carrier).toBe('DHL');
    expect(() => decodeOrderEvent(encodeOrderEvent({ eventId: 'e2' }))).toThrow(/no kind set/);
  });

  it('rejects a well-formed frame that carries no command', () => {
    expect(() => decodeClientFrame(encodeClientFrame({ id: 3 }))).toThrow(DecodeError);
    expect(() => decodeServerFrame(new Uint8Array())).toThrow(/no kind set/);
  });

  it('rejects things that are not bytes', () => {
    expect(() => decodeClientFrame('hello' as unknown as Uint8Array)).toThrow(DecodeError);
  });
});

describe('JSON mapping', () => {
  it('maps a server frame to JSON and back', () => {
    const json = serverFrameToJson({
      id: 1,
      publication: { channel: 'news', type: 't', payload: new Uint8Array([104, 105]) },
    });
    expect(JSON.parse(json)).toEqual({ id: 1, publication: { channel: 'news', type: 't', payload: 'aGk=' } });
    const frame = serverFrameFromJson(json);
    expect(frame.kind).toBe('publication');
    expect(Array.from(frame.publication?.payload ?? [])).toEqual([104, 105]);
    expect(decodeServerFrame(encodeServerFrame(frame)).publication?.channel).toBe('news');
  });

  it('turns any bad JSON text into DecodeError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          clientFrameFromJson(text);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 1_000 },
    );
    expect(() => clientFrameFromJson('{"subscribe":{"channel":5}}')).toThrow(/channel: string expected/);
    expect(() => clientFrameFromJson('[]')).toThrow(/must be an object/);
  });
});
