/**
 * A field table (a `ProtoDescriptor`) joined with the message classes it describes: per message type, its
 * class and a lookup of every name a JSON parser must accept (the proto3 JSON name and the .proto name).
 * The JSON codec walks a schema set; the server side builds one over every message in proto/ and the
 * protobufjs classes (json-schema.ts), the browser SDK one over client.proto alone (client/messages.ts).
 * Built lazily, once per type.
 */
import type { FieldDescriptor, ProtoDescriptor } from './descriptor.js';

/** A message class, as the JSON codec uses it: `new` gives a message with every field at its default. */
export type MessageConstructor = new () => Record<string, unknown>;

export interface MessageSchema {
  readonly name: string;
  readonly create: MessageConstructor;
  /** Fields in field-number order. */
  readonly fields: readonly FieldDescriptor[];
  /** Fields by JSON name and by .proto name. */
  readonly byName: ReadonlyMap<string, FieldDescriptor>;
}

export interface SchemaSet {
  /** Schema of the message type `name` (full name, e.g. `switchboard.v1.ClientFrame`). */
  messageSchema(name: string): MessageSchema;
  /** Name -> number of the enum type `name`. */
  enumValues(name: string): Readonly<Record<string, number>>;
  /** Number -> name of the enum type `name`, for printing. */
  enumName(name: string, value: number): string | undefined;
}

/** A schema set over `descriptor`, whose message classes `classOf` gives by full name. */
export function createSchemaSet(
  descriptor: ProtoDescriptor,
  classOf: (name: string) => MessageConstructor,
): SchemaSet {
  const schemas = new Map<string, MessageSchema>();
  const enumNames = new Map<string, ReadonlyMap<number, string>>();
  const enumValues = (name: string): Readonly<Record<string, number>> => {
    const values = descriptor.enums[name];
    if (!values) throw new Error(`${name}: not in the descriptor; run "pnpm gen" after changing proto/`);
    return values;
  };
  return {
    messageSchema(name) {
      let schema = schemas.get(name);
      if (!schema) {
        const message = descriptor.messages[name];
        if (!message) throw new Error(`${name}: not in the descriptor; run "pnpm gen" after changing proto/`);
        const byName = new Map<string, FieldDescriptor>();
        for (const field of message.fields) {
          byName.set(field.json, field);
          byName.set(field.name, field);
        }
        schema = { name, create: classOf(name), fields: message.fields, byName };
        schemas.set(name, schema);
      }
      return schema;
    },
    enumValues,
    enumName(name, value) {
      let names = enumNames.get(name);
      if (!names) {
        // First name wins for aliases (allow_alias), as in protoc's printers.
        const map = new Map<number, string>();
        for (const [key, number] of Object.entries(enumValues(name)))
          if (!map.has(number)) map.set(number, key);
        names = map;
        enumNames.set(name, names);
      }
      return names.get(value);
    },
  };
}
