/** WebSocket subprotocols an edge speaks. Binary Protobuf is the default when none is asked for. */
export const Subprotocol = {
  Protobuf: 'switchboard.v1.protobuf',
  Json: 'switchboard.v1.json',
} as const;
export type Subprotocol = (typeof Subprotocol)[keyof typeof Subprotocol];
