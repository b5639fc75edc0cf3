/**
 * The generated field table (descriptor.gen.json) joined with the generated classes: per message type, its
 * class and a lookup of every name a JSON parser must accept (the proto3 JSON name and the .proto name).
 * Built lazily, once per type.
 */

import descriptorJson from './descriptor.gen.json' with { type: 'json' };
import type { FieldDescriptor, ProtoDescriptor } from './descriptor.js';
import { switchboard } from './gen/switchboard.js';

const descriptor: ProtoDescriptor = descriptorJson;

/** A generated message class, as the JSON codec uses it. */
export type MessageConstructor = new () => Record<string, unknown>;

export interface MessageSchema {
  readonly name: string;
  readonly create: MessageConstructor;
  /** Fields by field number. */
  readonly fields: readonly FieldDescriptor[];
  /** Fields by JSON name and by .proto name. */
  readonly byName: ReadonlyMap<string, FieldDescriptor>;
}

const schemas = new Map<string, MessageSchema>();

/** Schema of the message type `name` (full name, e.g. `switchboard.v1.ClientFrame`). */
export function messageSchema(name: string): MessageSchema {
  let schema = schemas.get(name);
  if (!schema) {
    const message = descriptor.messages[name];
    if (!message)
      throw new Error(`${name}: not in descriptor.gen.json; run "pnpm gen" after changing proto/`);
    const byName = new Map<string, FieldDescriptor>();
    for (const field of message.fields) {
      byName.set(field.json, field);
      byName.set(field.name, field);
    }
    schema = { name, create: generatedClass(name), fields: message.fields, byName };
    schemas.set(name, schema);
  }
  return schema;
}

/** Name -> number of the enum type `name`. */
export function enumValues(name: string): Readonly<Record<string, number>> {
  const values = descriptor.enums[name];
  if (!values) throw new Error(`${name}: not in descriptor.gen.json; run "pnpm gen" after changing proto/`);
  return values;
}

/** Number -> name of the enum type `name`, for printing. */
const enumNames = new Map<string, ReadonlyMap<number, string>>();
export function enumName(name: string, value: number): string | undefined {
  let names = enumNames.get(name);
  if (!names) {
    // First name wins for aliases (allow_alias), as in protoc's printers.
    const map = new Map<number, string>();
    for (const [key, number] of Object.entries(enumValues(name))) if (!map.has(number)) map.set(number, key);
    names = map;
    enumNames.set(name, names);
  }
  return names.get(value);
}

function generatedClass(name: string): MessageConstructor {
  const [root, ...path] = name.split('.');
  let node: unknown = root === 'switchboard' ? switchboard : undefined;
  for (const part of path) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function')
    throw new Error(
      `${name}: no generated class; descriptor.gen.json and src/gen are out of step, run "pnpm gen"`,
    );
  return node as MessageConstructor;
}
