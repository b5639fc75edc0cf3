// Renders src/descriptor.gen.json: the field table the JSON codec walks (names, JSON names, types, oneofs,
// enum values) of every message in proto/. The static protobufjs classes carry no such table, and the
// JSON codec must know a `bytes` field from a `string` one and an int64 from an int32 to check input
// before anything is allocated. Called by gen.mjs (written and checked with the generated classes).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const protobuf = createRequire(import.meta.url)('protobufjs');

/** proto3 JSON name (protoc's ToJsonName): drop each `_` and upper-case the character after it. */
export function jsonNameOf(protoName) {
  return protoName.replace(/_+(.?)/g, (_, next) => next.toUpperCase());
}

/** Renders the descriptor (JSON text) of `protos` (paths relative to `protoRoot`): one field per line. */
export function renderDescriptor(protoRoot, protos) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => resolve(protoRoot, target);
  root.loadSync(protos, { keepCase: true });
  root.resolveAll();
  const messages = {};
  const enums = {};
  const visit = (namespace) => {
    for (const nested of namespace.nestedArray) {
      const name = nested.fullName.slice(1);
      if (nested instanceof protobuf.Type) messages[name] = describeType(nested);
      else if (nested instanceof protobuf.Enum) enums[name] = { ...nested.values };
      if (nested.nestedArray) visit(nested);
    }
  };
  visit(root);
  const sorted = (object) => Object.entries(object).sort(([a], [b]) => a.localeCompare(b));
  const q = JSON.stringify;
  const messageLines = sorted(messages).map(
    ([name, { fields }]) =>
      `    ${q(name)}: {\n      "fields": [\n${fields.map((f) => `        ${q(f)}`).join(',\n')}\n      ]\n    }`,
  );
  const enumLines = sorted(enums).map(([name, values]) => `    ${q(name)}: ${q(values)}`);
  return `{\n  "messages": {\n${messageLines.join(',\n')}\n  },\n  "enums": {\n${enumLines.join(',\n')}\n  }\n}\n`;
}

function describeType(type) {
  return {
    fields: type.fieldsArray
      .slice()
      .sort((a, b) => a.id - b.id)
      .map((field) => {
        if (field.map)
          throw new Error(
            `${type.fullName}.${field.name}: map fields are not supported by the JSON codec; extend packages/protocol/src/json-codec.ts first`,
          );
        const described = {
          name: field.name,
          js: protobuf.util.camelCase(field.name),
          json: field.options?.json_name ?? jsonNameOf(field.name),
          id: field.id,
          type: field.type,
        };
        if (field.repeated) described.repeated = true;
        if (field.partOf) described.oneof = field.partOf.name;
        if (field.resolvedType instanceof protobuf.Type) {
          described.type = 'message';
          described.message = field.resolvedType.fullName.slice(1);
        } else if (field.resolvedType instanceof protobuf.Enum) {
          described.type = 'enum';
          described.enum = field.resolvedType.fullName.slice(1);
        }
        return described;
      }),
  };
}
