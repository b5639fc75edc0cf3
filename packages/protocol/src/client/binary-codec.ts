/**
 * Binary Protobuf encoding and decoding driven by the field table of client.proto, the same table the
 * JSON codec walks. Matches what the server's protobufjs classes write and read: fields in field-number
 * order, fields at their default left out (a oneof member is written whenever it is set), repeated
 * numbers packed and read packed or not, unknown fields and fields of an unexpected wire type skipped,
 * nesting bounded (100 levels, as protoc and protobufjs).
 */
import type { FieldDescriptor } from '../descriptor.js';
import type { MessageSchema } from '../schema-set.js';
import { clientSchemas } from './messages.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

const MAX_DEPTH = 100;
const VARINT = 0;
const DELIMITED = 2;

/** The field types client.proto uses; scripts/compact-descriptor.mjs refuses any other. */
const WIRE_TYPES: Readonly<Record<string, number>> = {
  string: DELIMITED,
  bytes: DELIMITED,
  message: DELIMITED,
};

const wireTypeOf = (field: FieldDescriptor) => WIRE_TYPES[field.type] ?? VARINT;

function writeScalar(writer: WireWriter, field: FieldDescriptor, value: unknown): void {
  switch (field.type) {
    case 'string':
      writer.string(value as string);
      return;
    case 'bytes':
      writer.bytes(value as Uint8Array);
      return;
    case 'bool':
      writer.varint(value ? 1 : 0);
      return;
    case 'uint32':
    case 'uint64':
      writer.varint(value as number);
      return;
    default:
      // int32, int64, enum
      writer.signedVarint(value as number);
      return;
  }
}

function isDefault(field: FieldDescriptor, value: unknown): boolean {
  if (field.type === 'message') return false;
  if (field.type === 'bytes') return (value as Uint8Array).length === 0;
  return value === 0 || value === '' || value === false;
}

function writeMessage(schema: MessageSchema, message: Record<string, unknown>, depth: number): Uint8Array {
  if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
  const writer = new WireWriter();
  for (const field of schema.fields) {
    const value = message[field.js];
    if (value == null) continue;
    if (field.repeated) {
      const list = value as readonly unknown[];
      if (list.length === 0) continue;
      if (wireTypeOf(field) === DELIMITED) {
        for (const element of list) writeField(writer, field, element, depth);
      } else {
        const packed = new WireWriter();
        for (const element of list) writeScalar(packed, field, element);
        writer.tag(field.id, DELIMITED);
        writer.bytes(packed.finish());
      }
    } else if (field.oneof || !isDefault(field, value)) writeField(writer, field, value, depth);
  }
  return writer.finish();
}

function writeField(writer: WireWriter, field: FieldDescriptor, value: unknown, depth: number): void {
  writer.tag(field.id, wireTypeOf(field));
  if (field.type === 'message') {
    const schema = clientSchemas.messageSchema(field.message as string);
    writer.bytes(writeMessage(schema, value as Record<string, unknown>, depth + 1));
  } else writeScalar(writer, field, value);
}

function readScalar(reader: WireReader, field: FieldDescriptor): unknown {
  switch (field.type) {
    case 'string':
      return reader.string();
    case 'bytes':
      return reader.bytes();
    case 'bool':
      return reader.bool();
    case 'uint32':
      return reader.uint32();
    case 'uint64':
      return reader.uint64();
    case 'int64':
      return reader.int64();
    default:
      // int32, enum
      return reader.int32();
  }
}

function byNumber(schema: MessageSchema): ReadonlyMap<number, FieldDescriptor> {
  let map = numbered.get(schema);
  if (!map) {
    map = new Map(schema.fields.map((field) => [field.id, field]));
    numbered.set(schema, map);
  }
  return map;
}
const numbered = new WeakMap<MessageSchema, ReadonlyMap<number, FieldDescriptor>>();

function readMessage(
  schema: MessageSchema,
  reader: WireReader,
  depth: number,
  into?: Record<string, unknown>,
): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
  const message = into ?? new schema.create();
  const fields = byNumber(schema);
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    const wireType = tag & 7;
    const field = fields.get(tag >>> 3);
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    const expected = wireTypeOf(field);
    if (field.repeated && wireType === DELIMITED && expected !== DELIMITED) {
      // Packed numbers: one length-delimited run.
      const length = reader.uint32();
      const packed = new WireReader(reader.buf, reader.pos, reader.pos + length);
      if (packed.end > reader.end) throw new RangeError('index out of range');
      const list = listOf(message, field);
      while (packed.pos < packed.end) list.push(readScalar(packed, field));
      reader.pos = packed.end;
      continue;
    }
    if (wireType !== expected) {
      reader.skip(wireType);
      continue;
    }
    let value: unknown;
    if (field.type === 'message') {
      const length = reader.uint32();
      const end = reader.pos + length;
      if (end > reader.end) throw new RangeError('index out of range');
      const nested = clientSchemas.messageSchema(field.message as string);
      const existing = field.repeated ? undefined : (message[field.js] as Record<string, unknown> | null);
      value = readMessage(
        nested,
        new WireReader(reader.buf, reader.pos, end),
        depth + 1,
        existing ?? undefined,
      );
      reader.pos = end;
    } else value = readScalar(reader, field);
    if (field.repeated) listOf(message, field).push(value);
    else if (field.oneof) {
      // The last member read wins, as in every Protobuf implementation.
      for (const other of schema.fields) if (other.oneof === field.oneof) delete message[other.js];
      message[field.js] = value;
    } else if (field.type === 'message' || !isDefault(field, value)) message[field.js] = value;
    else delete message[field.js];
  }
  return message;
}

function listOf(message: Record<string, unknown>, field: FieldDescriptor): unknown[] {
  if (!Object.hasOwn(message, field.js)) message[field.js] = [];
  return message[field.js] as unknown[];
}

/** Binary Protobuf of `message`, a message of the client.proto type `typeName` (class instance or plain object). */
export function encodeBinary(typeName: string, message: object): Uint8Array {
  return writeMessage(clientSchemas.messageSchema(typeName), message as Record<string, unknown>, 0);
}

/** The client.proto message `typeName` read from `bytes`; throws on truncated or malformed input. */
export function decodeBinary(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  return readMessage(clientSchemas.messageSchema(typeName), new WireReader(bytes), 0);
}
