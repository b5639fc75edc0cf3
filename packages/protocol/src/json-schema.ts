/**
 * The schema set of every message in proto/ (descriptor.gen.json) over the generated protobufjs classes:
 * what the server side's JSON codec walks (codec.ts). The browser SDK has its own, over client.proto alone.
 */

import descriptorJson from './descriptor.gen.json' with { type: 'json' };
import type { ProtoDescriptor } from './descriptor.js';
import { switchboard } from './gen/switchboard.js';
import { createSchemaSet, type MessageConstructor } from './schema-set.js';

export type { MessageConstructor, MessageSchema, SchemaSet } from './schema-set.js';

const descriptor: ProtoDescriptor = descriptorJson;

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

export const protoSchemas = createSchemaSet(descriptor, generatedClass);
export const messageSchema = protoSchemas.messageSchema;
export const enumValues = protoSchemas.enumValues;
export const enumName = protoSchemas.enumName;
