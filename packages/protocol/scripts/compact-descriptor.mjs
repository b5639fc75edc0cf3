// Renders the browser SDK's field table (src/client/descriptor.gen.json) in a compact form: one string per
// field, "<name> <number> <type>[ repeated][ oneof=<name>][ js=<name>][ json=<name>]", where <type> is a
// scalar, "m:<Message>" or "e:<Enum>" (names relative to the package), and js/json appear only when they
// differ from what src/client/expand-descriptor.ts derives from the .proto name. Every byte of it ships in
// the SDK bundle; expand-descriptor.ts turns it back into the full table (a test checks the round trip).
import { renderDescriptor } from './json-descriptor.mjs';

// What src/client/binary-codec.ts can encode: the types client.proto uses today.
const SUPPORTED = new Set([
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
  'bytes',
  'message',
  'enum',
]);

/** protobufjs's property name for a .proto field name (util.camelCase); expand-descriptor.ts does the same. */
export function jsNameOf(protoName) {
  return (
    protoName.slice(0, 1) + protoName.slice(1).replace(/_([a-z])(?=[a-z]|$)/g, (_, c) => c.toUpperCase())
  );
}

/** proto3 JSON name: drop each `_` and upper-case the character after it. */
function jsonNameOf(protoName) {
  return protoName.replace(/_+(.?)/g, (_, next) => next.toUpperCase());
}

export function renderCompactDescriptor(protoRoot, protos, packageName) {
  const full = JSON.parse(renderDescriptor(protoRoot, protos));
  const prefix = `${packageName}.`;
  const local = (name) => (name.startsWith(prefix) ? name.slice(prefix.length) : name);
  const messages = {};
  for (const [name, { fields }] of Object.entries(full.messages)) {
    messages[local(name)] = fields.map((f) => {
      if (!SUPPORTED.has(f.type))
        throw new Error(
          `${name}.${f.name}: type ${f.type} is not supported by the browser SDK's codec; extend packages/protocol/src/client/binary-codec.ts first`,
        );
      let type = f.type;
      if (type === 'message') type = `m:${local(f.message)}`;
      else if (type === 'enum') type = `e:${local(f.enum)}`;
      const parts = [f.name, String(f.id), type];
      if (f.repeated) parts.push('repeated');
      if (f.oneof) parts.push(`oneof=${f.oneof}`);
      if (f.js !== jsNameOf(f.name)) parts.push(`js=${f.js}`);
      if (f.json !== jsonNameOf(f.name)) parts.push(`json=${f.json}`);
      return parts.join(' ');
    });
  }
  const enums = {};
  for (const [name, values] of Object.entries(full.enums)) enums[local(name)] = values;
  const q = JSON.stringify;
  const messageLines = Object.entries(messages).map(([name, fields]) => `    ${q(name)}: ${q(fields)}`);
  const enumLines = Object.entries(enums).map(([name, values]) => `    ${q(name)}: ${q(values)}`);
  return `{\n  "package": ${q(packageName)},\n  "messages": {\n${messageLines.join(',\n')}\n  },\n  "enums": {\n${enumLines.join(',\n')}\n  }\n}\n`;
}
