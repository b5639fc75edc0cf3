/**
 * Expands the compact field table of client.proto (descriptor.gen.json, written by
 * scripts/compact-descriptor.mjs) into the full table the codecs walk. Compact because every byte of it is
 * in the browser SDK's bundle: one string per field, names derived from the .proto name unless given.
 */
import type { FieldDescriptor, MessageDescriptor, ProtoDescriptor } from '../descriptor.js';

export interface CompactDescriptor {
  readonly package: string;
  readonly messages: Readonly<Record<string, readonly string[]>>;
  readonly enums: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

const jsNameOf = (name: string) =>
  name.slice(0, 1) + name.slice(1).replace(/_([a-z])(?=[a-z]|$)/g, (_, c: string) => c.toUpperCase());
const jsonNameOf = (name: string) => name.replace(/_+(.?)/g, (_, next: string) => next.toUpperCase());

function expandField(prefix: string, text: string): FieldDescriptor {
  const [name = '', id = '', type = '', ...flags] = text.split(' ');
  const field: Record<string, unknown> = {
    name,
    js: jsNameOf(name),
    json: jsonNameOf(name),
    id: Number(id),
    type,
  };
  if (type.startsWith('m:')) {
    field.type = 'message';
    field.message = prefix + type.slice(2);
  } else if (type.startsWith('e:')) {
    field.type = 'enum';
    field.enum = prefix + type.slice(2);
  }
  for (const flag of flags) {
    const [key = '', value] = flag.split('=');
    field[key] = value ?? true;
  }
  return field as unknown as FieldDescriptor;
}

export function expandDescriptor(compact: CompactDescriptor): ProtoDescriptor {
  const prefix = `${compact.package}.`;
  const messages: Record<string, MessageDescriptor> = {};
  for (const [name, fields] of Object.entries(compact.messages))
    messages[prefix + name] = { fields: fields.map((field) => expandField(prefix, field)) };
  const enums: Record<string, Readonly<Record<string, number>>> = {};
  for (const [name, values] of Object.entries(compact.enums)) enums[prefix + name] = values;
  return { messages, enums };
}
