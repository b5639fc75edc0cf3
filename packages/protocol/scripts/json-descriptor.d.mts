/** Types of json-descriptor.mjs, for the staleness test in src/. */
export function jsonNameOf(protoName: string): string;
export function renderDescriptor(protoRoot: string, protos: readonly string[]): string;
