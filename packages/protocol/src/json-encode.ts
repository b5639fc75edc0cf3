/**
 * Printer of the proto3 JSON mapping: lowerCamelCase names, 64-bit integers as decimal strings, bytes as
 * padded standard base64, enums by name, non-finite floats as "NaN"/"Infinity"/"-Infinity", and fields
 * holding their default value left out (a oneof member is printed whenever it is set: its presence is
 * the information). Fields are printed in field-number order.
 */
import { encodeBase64 } from './base64.js';
import type { FieldDescriptor } from './descriptor.js';
import type { MessageSchema, SchemaSet } from './schema-set.js';

const SIXTY_FOUR_BIT = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** The JSON object of `message` (a message of type `typeName`, e.g. an instance of its class). */
export function encodeJsonMessage(
  schemas: SchemaSet,
  typeName: string,
  message: object,
): Record<string, unknown> {
  return writeMessage(schemas, schemas.messageSchema(typeName), message as Record<string, unknown>);
}

function writeMessage(
  schemas: SchemaSet,
  schema: MessageSchema,
  message: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const value = message[field.js];
    if (value === null || value === undefined) continue;
    if (field.repeated) {
      const list = value as readonly unknown[];
      if (list.length > 0) out[field.json] = list.map((element) => writeValue(schemas, field, element));
    } else if (field.oneof || !isDefault(field, value)) out[field.json] = writeValue(schemas, field, value);
  }
  return out;
}

function writeValue(schemas: SchemaSet, field: FieldDescriptor, value: unknown): unknown {
  switch (field.type) {
    case 'bytes':
      return encodeBase64(value as Uint8Array);
    case 'enum':
      return schemas.enumName(field.enum as string, value as number) ?? value;
    case 'message':
      return writeMessage(
        schemas,
        schemas.messageSchema(field.message as string),
        value as Record<string, unknown>,
      );
    case 'double':
    case 'float':
      return Number.isFinite(value) ? value : String(value);
    default:
      // BigInt spells every integer in decimal; String(1e21) would give "1e+21".
      if (SIXTY_FOUR_BIT.has(field.type))
        return Number.isInteger(value) ? BigInt(value as number).toString() : String(value);
      return value;
  }
}

function isDefault(field: FieldDescriptor, value: unknown): boolean {
  if (field.type === 'message') return false;
  if (field.type === 'bytes') return (value as Uint8Array).length === 0;
  return value === 0 || value === '' || value === false;
}
