/** descriptor.gen.json is current with proto/ and agrees with the generated classes. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonNameOf, renderDescriptor } from '../scripts/json-descriptor.mjs';
import descriptor from './descriptor.gen.json' with { type: 'json' };
import { messageSchema } from './json-schema.js';

const here = dirname(fileURLToPath(import.meta.url));
const protoRoot = resolve(here, '../../../proto');
const protos = readdirSync(resolve(protoRoot, 'switchboard/v1'))
  .filter((file) => file.endsWith('.proto'))
  .map((file) => `switchboard/v1/${file}`);

describe('JSON descriptor', () => {
  it('is what proto/ gives today (else run "pnpm gen")', () => {
    expect(readFileSync(resolve(here, 'descriptor.gen.json'), 'utf8')).toBe(
      renderDescriptor(protoRoot, protos),
    );
  });

  it('names a generated class with a property for every field', () => {
    for (const name of Object.keys(descriptor.messages)) {
      const schema = messageSchema(name);
      const instance = new schema.create();
      for (const field of schema.fields) expect(field.js in instance, `${name}.${field.js}`).toBe(true);
    }
  });

  it('derives proto3 JSON names as protoc does', () => {
    expect(jsonNameOf('time_ms')).toBe('timeMs');
    expect(jsonNameOf('before_offset')).toBe('beforeOffset');
    expect(jsonNameOf('field_1')).toBe('field1');
    expect(jsonNameOf('id')).toBe('id');
  });
});
