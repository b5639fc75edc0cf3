/**
 * Workaround for the generated protocol code as of this writing: protobufjs-cli 2.7.1 emits static
 * decoders that call `new this.ctor()` (it rewrites that only with the protobufjs 8 runtime it
 * expects), but the runtime installed is protobufjs 7, where static classes have no `ctor`.
 * Decoding then throws "this.ctor is not a constructor". We give each generated class a `ctor`
 * pointing at itself, once, and only when it is missing; with fixed generated code this is a no-op.
 * Remove this file once packages/protocol regenerates with matching versions.
 */
import { switchboard } from '@switchboard/protocol';

let patched = false;

export function ensureProtocolDecoders(): void {
  if (patched) return;
  patched = true;
  const namespace = switchboard.v1 as unknown as Record<string, unknown>;
  for (const value of Object.values(namespace)) {
    if (typeof value !== 'function') continue;
    const cls = value as { ctor?: unknown; decode?: unknown };
    if (typeof cls.decode === 'function' && cls.ctor === undefined) cls.ctor = cls;
  }
}
