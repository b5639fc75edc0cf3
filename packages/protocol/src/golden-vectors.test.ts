/**
 * Both codecs against proto/testdata/frames.json, in both directions (format: proto/testdata/README.md): the
 * server's (protobufjs classes, codec.ts) and the browser SDK's (client.proto's field table, client/codec.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as lean from './client/codec.js';
import {
  clientFrameFromJson,
  clientFrameToJson,
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  serverFrameFromJson,
  serverFrameToJson,
} from './codec.js';
import { DecodeError } from './errors.js';

interface Vector {
  name: string;
  type: string;
  binary: string;
  json: unknown;
  jsonInputs: unknown[];
}
interface Invalid {
  name: string;
  type: string;
  text: string;
}

const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../../proto/testdata/frames.json');
const golden = JSON.parse(readFileSync(file, 'utf8')) as {
  format: string;
  vectors: Vector[];
  invalidJson: Invalid[];
};

interface Codec {
  decode(bytes: Uint8Array): object;
  encode(frame: object): Uint8Array;
  fromJson(text: string): object;
  toJson(frame: object): string;
}
const serverCodecs: Record<string, Codec> = {
  'switchboard.v1.ClientFrame': {
    decode: decodeClientFrame,
    encode: encodeClientFrame,
    fromJson: (text) => clientFrameFromJson(text),
    toJson: clientFrameToJson,
  },
  'switchboard.v1.ServerFrame': {
    decode: decodeServerFrame,
    encode: encodeServerFrame,
    // The strict reading, as other implementations' default parsers do.
    fromJson: (text) => serverFrameFromJson(text, { unknownFields: 'reject' }),
    toJson: serverFrameToJson,
  },
};
const leanCodecs: Record<string, Codec> = {
  'switchboard.v1.ClientFrame': {
    decode: lean.decodeClientFrame,
    encode: lean.encodeClientFrame,
    fromJson: (text) => lean.clientFrameFromJson(text),
    toJson: lean.clientFrameToJson,
  },
  'switchboard.v1.ServerFrame': {
    decode: lean.decodeServerFrame,
    encode: lean.encodeServerFrame,
    fromJson: (text) => lean.serverFrameFromJson(text, { unknownFields: 'reject' }),
    toJson: lean.serverFrameToJson,
  },
};

function codecOf(codecs: Record<string, Codec>, type: string): Codec {
  const codec = codecs[type];
  if (!codec) throw new Error(`frames.json: no codec for ${type}`);
  return codec;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

describe.each([
  ['server codec (protobufjs)', serverCodecs],
  ['browser SDK codec (client.proto table)', leanCodecs],
])('golden frame vectors (proto/testdata/frames.json), %s', (_name, codecs) => {
  it('is the format this test reads, with cases of both frame types', () => {
    expect(golden.format).toBe('switchboard-frame-vectors/1');
    expect(new Set(golden.vectors.map((v) => v.type))).toEqual(new Set(Object.keys(codecs)));
  });

  for (const vector of golden.vectors) {
    describe(`${vector.type} ${vector.name}`, () => {
      const codec = codecOf(codecs, vector.type);
      it('binary -> JSON gives the canonical JSON', () => {
        expect(JSON.parse(codec.toJson(codec.decode(unhex(vector.binary))))).toEqual(vector.json);
      });
      it('canonical JSON -> binary gives the binary', () => {
        expect(hex(codec.encode(codec.fromJson(JSON.stringify(vector.json))))).toBe(vector.binary);
      });
      it('every accepted JSON form -> binary gives the binary', () => {
        for (const input of vector.jsonInputs)
          expect(hex(codec.encode(codec.fromJson(JSON.stringify(input)))), JSON.stringify(input)).toBe(
            vector.binary,
          );
      });
      it('binary -> binary is unchanged', () => {
        expect(hex(codec.encode(codec.decode(unhex(vector.binary))))).toBe(vector.binary);
      });
    });
  }

  for (const invalid of golden.invalidJson) {
    it(`${invalid.type} refuses ${invalid.name}`, () => {
      expect(() => codecOf(codecs, invalid.type).fromJson(invalid.text)).toThrow(DecodeError);
    });
  }
});
