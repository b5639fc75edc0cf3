/**
 * Parser of the proto3 JSON mapping, strict where protobufjs's `fromObject` is lenient. Every value is
 * checked against its field's type before anything is built from it: `bytes` only from a base64 string (a
 * `{"length":100000000}` object made protobufjs allocate 100 MB), integers only when exactly representable
 * and in range. Nothing is allocated beyond what the text itself spells out: the text is bounded
 * (`maxLength`), its nesting is checked before `JSON.parse` (`maxDepth`), and each value's size is at
 * most its own text's (base64 decodes to 3/4 of its length; arrays have one element per written value).
 */
import { decodeBase64 } from './base64.js';
import type { FieldDescriptor } from './descriptor.js';
import { DecodeError } from './errors.js';
import { nestingProblem } from './json-scan.js';
import type { MessageSchema, SchemaSet } from './schema-set.js';

export interface JsonDecodeOptions {
  /** Longest text accepted, in UTF-16 code units. Default 16 MiB; a WebSocket server bounds frames first. */
  readonly maxLength?: number;
  /** Deepest nesting of JSON objects/arrays. Default 32 (Switchboard's deepest frame nests 5). */
  readonly maxDepth?: number;
  /**
   * What to do with a field name the schema does not know. `reject` (the mapping's default for parsers)
   * for input from clients: a typo (`requestID`) would otherwise silently become a request without an id,
   * and a value nobody checks is better refused than carried. `ignore` where a newer peer may add fields
   * (the SDK reading an edge's ServerFrames), as binary Protobuf skips unknown fields.
   */
  readonly unknownFields?: 'reject' | 'ignore';
}

export const DEFAULT_JSON_DECODE_LIMITS = Object.freeze({ maxLength: 16 * 1024 * 1024, maxDepth: 32 });

/** Parses `text` as the message type `typeName`; throws DecodeError naming the field and what it expects. */
export function decodeJsonMessage(
  schemas: SchemaSet,
  typeName: string,
  what: string,
  text: string,
  options: JsonDecodeOptions = {},
): Record<string, unknown> {
  const maxLength = options.maxLength ?? DEFAULT_JSON_DECODE_LIMITS.maxLength;
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_DECODE_LIMITS.maxDepth;
  if (typeof text !== 'string') throw new DecodeError(`${what}: expected JSON text`);
  if (text.length > maxLength)
    throw new DecodeError(`${what}: JSON text of ${text.length} characters exceeds maxLength ${maxLength}`);
  const tooDeep = nestingProblem(text, maxDepth);
  if (tooDeep) throw new DecodeError(`${what}: ${tooDeep}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError(`${what}: not JSON`, { cause });
  }
  if (!isObject(value)) throw new DecodeError(`${what}: JSON must be an object`);
  const reader = new Reader(schemas, what, options.unknownFields === 'ignore');
  return reader.message(schemas.messageSchema(typeName), value, '');
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const UINT32 = { min: 0, max: 2 ** 32 - 1 };
// 64-bit fields decode to JS numbers (gen.mjs --force-number): refuse what a double cannot hold exactly
// rather than round it silently.
const INT64 = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
const UINT64 = { min: 0, max: Number.MAX_SAFE_INTEGER };
const INTEGER_RANGES: Readonly<Record<string, { min: number; max: number }>> = {
  int32: INT32,
  sint32: INT32,
  sfixed32: INT32,
  uint32: UINT32,
  fixed32: UINT32,
  int64: INT64,
  sint64: INT64,
  sfixed64: INT64,
  uint64: UINT64,
  fixed64: UINT64,
};
const DECIMAL = /^-?[0-9]{1,20}$/;
const FLOAT_TEXT = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const FLOAT_MAX = 3.4028234663852886e38;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

class Reader {
  constructor(
    private readonly schemas: SchemaSet,
    private readonly what: string,
    private readonly ignoreUnknown: boolean,
  ) {}

  fail(path: string, problem: string): never {
    throw new DecodeError(`${this.what}: ${path ? `${path}: ` : ''}${problem}`);
  }

  message(schema: MessageSchema, object: Record<string, unknown>, path: string): Record<string, unknown> {
    const message = new schema.create();
    const oneofs = new Map<string, string>();
    const seen = new Set<string>();
    for (const key of Object.keys(object)) {
      const field = schema.byName.get(key);
      const at = path ? `${path}.${key}` : key;
      if (!field) {
        if (this.ignoreUnknown) continue;
        this.fail(at, `unknown field of ${schema.name} (field names are lowerCamelCase or as in the .proto)`);
      }
      if (seen.has(field.js)) this.fail(at, `given twice (as ${field.json} and ${field.name})`);
      seen.add(field.js);
      const value = object[key];
      // null means "default" for every field in the proto3 JSON mapping.
      if (value === null) continue;
      if (field.oneof) {
        const other = oneofs.get(field.oneof);
        if (other) this.fail(at, `${other} is set too; at most one field of oneof ${field.oneof} may be`);
        oneofs.set(field.oneof, field.json);
      }
      if (field.repeated) {
        if (!Array.isArray(value)) this.fail(at, `repeated field expects an array, got ${kindOf(value)}`);
        if (value.length === 0) continue;
        message[field.js] = value.map((element, i) => {
          if (element === null) this.fail(`${at}[${i}]`, 'null is not allowed in a repeated field');
          return this.value(field, element, `${at}[${i}]`);
        });
        continue;
      }
      const decoded = this.value(field, value, at);
      // Defaults stay unset, as binary decoding leaves them; a oneof member records its presence.
      if (field.oneof || !isDefault(decoded)) message[field.js] = decoded;
    }
    return message;
  }

  value(field: FieldDescriptor, value: unknown, at: string): unknown {
    switch (field.type) {
      case 'string':
        if (typeof value !== 'string') this.fail(at, `string expected, got ${kindOf(value)}`);
        if (LONE_SURROGATE.test(value)) this.fail(at, 'string is not valid UTF-16 (lone surrogate)');
        return value;
      case 'bool':
        if (typeof value !== 'boolean') this.fail(at, `true or false expected, got ${kindOf(value)}`);
        return value;
      case 'bytes': {
        if (typeof value !== 'string') this.fail(at, `bytes must be a base64 string, got ${kindOf(value)}`);
        const bytes = decodeBase64(value);
        if (!bytes) this.fail(at, 'bytes must be base64 (standard or URL-safe alphabet, padding optional)');
        return bytes;
      }
      case 'double':
      case 'float':
        return this.float(field.type, value, at);
      case 'enum':
        return this.enumValue(field.enum as string, value, at);
      case 'message': {
        if (!isObject(value)) this.fail(at, `object expected, got ${kindOf(value)}`);
        return this.message(this.schemas.messageSchema(field.message as string), value, at);
      }
      default: {
        const range = INTEGER_RANGES[field.type];
        if (!range) this.fail(at, `field type ${field.type} is not supported by the JSON codec`);
        return this.integer(field.type, range, value, at);
      }
    }
  }

  integer(type: string, range: { min: number; max: number }, value: unknown, at: string): number {
    let number: number;
    if (typeof value === 'number') number = value;
    else if (typeof value === 'string' && DECIMAL.test(value)) number = Number(value);
    else this.fail(at, `${type} expects an integer number or a decimal string, got ${kindOf(value)}`);
    if (!Number.isInteger(number)) this.fail(at, `${type} expects an integer, got ${String(value)}`);
    if (number < range.min || number > range.max)
      this.fail(at, `${String(value)} is out of range for ${type} (${range.min}..${range.max})`);
    return number === 0 ? 0 : number; // no -0
  }

  float(type: string, value: unknown, at: string): number {
    let number: number;
    if (typeof value === 'number') number = value;
    else if (value === 'NaN') return Number.NaN;
    else if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    else if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    else if (typeof value === 'string' && FLOAT_TEXT.test(value)) number = Number(value);
    else this.fail(at, `${type} expects a number, got ${kindOf(value)}`);
    if (!Number.isFinite(number)) this.fail(at, `${type} expects a finite number, got ${String(value)}`);
    if (type === 'float' && Math.abs(number) > FLOAT_MAX)
      this.fail(at, `${String(value)} is out of range for float`);
    return number;
  }

  enumValue(enumName: string, value: unknown, at: string): number {
    if (typeof value === 'string') {
      const values = this.schemas.enumValues(enumName);
      if (!Object.hasOwn(values, value)) this.fail(at, `${value} is not a value of ${enumName}`);
      return values[value] as number;
    }
    // Open enums: a number the schema does not name is kept, as binary decoding keeps it.
    if (typeof value === 'number') return this.integer('enum', INT32, value, at);
    return this.fail(at, `${enumName} expects a value name or an integer, got ${kindOf(value)}`);
  }
}

function isDefault(value: unknown): boolean {
  if (value instanceof Uint8Array) return value.length === 0;
  return value === 0 || value === '' || value === false;
}
