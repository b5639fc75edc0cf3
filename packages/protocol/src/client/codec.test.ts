/**
 * The browser SDK's codec (client.proto's field table, no protobufjs) against the server's protobufjs
 * classes: the same bytes for the same frame, each reading what the other wrote, including the values a
 * hand-written wire format gets wrong (negative and 64-bit integers, empty and large fields, unknown fields).
 */

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDescriptor } from '../../scripts/json-descriptor.mjs';
import * as server from '../codec.js';
import { DecodeError } from '../errors.js';
import {
  clientFrameToJson,
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  serverFrameFromJson,
} from './codec.js';
import { clientDescriptor } from './messages.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const safeUint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

const publicationFrame = fc.record({
  id: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  publication: fc.record({
    channel: fc.string(),
    offset: safeUint,
    epoch: fc.string(),
    type: fc.string(),
    payload: fc.uint8Array({ maxLength: 300 }),
    from: fc.option(fc.record({ userId: fc.string(), connectionId: fc.string(), info: fc.uint8Array() }), {
      nil: undefined,
    }),
    timeMs: safeInt,
  }),
});

const clientFrame = fc.oneof(
  fc.record({ id: fc.nat(), ping: fc.record({ timeMs: safeInt }) }),
  fc.record({ id: fc.nat(), ack: fc.record({ ids: fc.array(fc.string(), { maxLength: 5 }) }) }),
  fc.record({
    id: fc.nat(),
    history: fc.record({ channel: fc.string(), limit: fc.nat(), beforeOffset: safeUint }),
  }),
  fc.record({
    id: fc.nat(),
    subscribe: fc.record({
      channel: fc.string(),
      token: fc.string(),
      since: fc.record({ offset: safeUint, epoch: fc.string() }),
    }),
  }),
);

describe('browser SDK codec', () => {
  it('expands its compact field table to the full table of client.proto', () => {
    const protoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../proto');
    const full = JSON.parse(renderDescriptor(protoRoot, ['switchboard/v1/client.proto']));
    expect(clientDescriptor).toEqual(full);
  });

  it('describes client.proto alone: no bus.proto or orders.proto message', () => {
    const names = Object.keys(clientDescriptor.messages);
    expect(names).toContain('switchboard.v1.ServerFrame');
    expect(names).toContain('switchboard.v1.ClientFrame');
    for (const serverOnly of ['Inbound', 'Delivery', 'LifecycleEvent', 'OrderEvent', 'DeliveryReceipt'])
      expect(names).not.toContain(`switchboard.v1.${serverOnly}`);
  });

  it('writes the bytes protobufjs writes, and each reads what the other wrote (ServerFrame)', () => {
    fc.assert(
      fc.property(publicationFrame, (frame) => {
        const lean = encodeServerFrame(frame);
        expect(hex(lean)).toBe(hex(server.encodeServerFrame(frame)));
        const decoded = decodeServerFrame(lean);
        expect(decoded.kind).toBe('publication');
        const viaServer = server.decodeServerFrame(lean);
        expect(decoded.publication?.offset).toBe(viaServer.publication?.offset);
        expect(decoded.publication?.timeMs).toBe(frame.publication.timeMs);
        expect(hex(encodeServerFrame(decoded))).toBe(hex(lean));
      }),
    );
  });

  it('writes the bytes protobufjs writes, and each reads what the other wrote (ClientFrame)', () => {
    fc.assert(
      fc.property(clientFrame, (frame) => {
        const lean = encodeClientFrame(frame);
        expect(hex(lean)).toBe(hex(server.encodeClientFrame(frame)));
        expect(hex(server.encodeClientFrame(decodeClientFrame(lean)))).toBe(hex(lean));
        expect(clientFrameToJson(frame)).toBe(server.clientFrameToJson(frame));
      }),
    );
  });

  it('gives defaults for fields left out, and names the oneof member that is set', () => {
    const frame = decodeServerFrame(server.encodeServerFrame({ publication: { channel: 'news' } }));
    expect(frame.id).toBe(0);
    expect(frame.kind).toBe('publication');
    expect(frame.publication?.offset).toBe(0);
    expect(frame.publication?.payload).toEqual(new Uint8Array(0));
    expect(frame.publication?.from).toBeNull();
    expect(frame.subscribed).toBeNull();
  });

  it('skips fields it does not know, as a newer edge may send them', () => {
    const known = server.encodeServerFrame({ id: 7, pong: {} });
    // Field 99 (varint 5) and field 98 (length-delimited "hi") in front of the known fields.
    const unknown = Uint8Array.from([0x98, 0x06, 0x05, 0x92, 0x06, 0x02, 0x68, 0x69, ...known]);
    const frame = decodeServerFrame(unknown);
    expect(frame.id).toBe(7);
    expect(frame.kind).toBe('pong');
  });

  it('refuses truncated frames, bad lengths, invalid UTF-8 and frames without a kind with DecodeError', () => {
    const good = server.encodeServerFrame({ publication: { channel: 'news', payload: new Uint8Array(10) } });
    expect(() => decodeServerFrame(good.subarray(0, good.length - 3))).toThrow(DecodeError);
    expect(() => decodeServerFrame(Uint8Array.from([0x2a, 0x7f]))).toThrow(DecodeError);
    expect(() => decodeServerFrame(Uint8Array.from([0x2a, 0x03, 0x0a, 0x01, 0xff]))).toThrow(DecodeError);
    expect(() => decodeServerFrame(Uint8Array.from([0x08, 0x01]))).toThrow(/no kind set/);
    expect(() =>
      decodeServerFrame(
        Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ),
    ).toThrow(DecodeError);
  });

  it('reads JSON frames from an edge into the same shape as binary ones', () => {
    const text = server.serverFrameToJson({
      id: 3,
      publication: { channel: 'news', offset: 12, timeMs: -5 },
    });
    const frame = serverFrameFromJson(text);
    expect(frame.kind).toBe('publication');
    expect(frame.publication?.offset).toBe(12);
    expect(frame.publication?.timeMs).toBe(-5);
    expect(frame.publication?.epoch).toBe('');
  });
});
