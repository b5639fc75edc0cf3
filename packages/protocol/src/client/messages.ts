/**
 * Message classes of client.proto, built from its field table (descriptor.gen.json) instead of generated
 * code: each prototype holds every field's proto3 default (0, '', false, empty bytes, [], null for
 * messages) and a getter per oneof that names the member that is set (`frame.kind === 'publication'`),
 * as the server's protobufjs classes do. A decoded message stores only the fields that differ from their
 * default.
 */
import type { FieldDescriptor } from '../descriptor.js';
import { createSchemaSet, type MessageConstructor } from '../schema-set.js';
import compact from './descriptor.gen.json' with { type: 'json' };
import { expandDescriptor } from './expand-descriptor.js';

/** client.proto's field table. */
export const clientDescriptor = expandDescriptor(compact);
const descriptor = clientDescriptor;

const EMPTY_LIST: readonly unknown[] = Object.freeze([]);

function defaultOf(field: FieldDescriptor): unknown {
  if (field.repeated) return EMPTY_LIST;
  if (field.oneof || field.type === 'message') return null;
  switch (field.type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return new Uint8Array(0);
    default:
      return 0;
  }
}

function buildClass(name: string): MessageConstructor {
  const message = descriptor.messages[name];
  if (!message) throw new Error(`${name}: not in client.proto; run "pnpm gen" after changing proto/`);
  const cls = class {} as unknown as MessageConstructor;
  const proto = cls.prototype as Record<string, unknown>;
  const oneofs = new Map<string, string[]>();
  for (const field of message.fields) {
    proto[field.js] = defaultOf(field);
    if (field.oneof) oneofs.set(field.oneof, [...(oneofs.get(field.oneof) ?? []), field.js]);
  }
  for (const [oneof, members] of oneofs)
    Object.defineProperty(proto, oneof, {
      get(this: Record<string, unknown>) {
        return members.find((member) => this[member] != null);
      },
    });
  return cls;
}

const classes = new Map<string, MessageConstructor>();

/** The class of the client.proto message `name` (full name, e.g. `switchboard.v1.ServerFrame`). */
export function messageClass(name: string): MessageConstructor {
  let cls = classes.get(name);
  if (!cls) {
    cls = buildClass(name);
    classes.set(name, cls);
  }
  return cls;
}

/** client.proto's schema set, for the JSON codec and the binary codec. */
export const clientSchemas = createSchemaSet(descriptor, messageClass);
