import { encodeDelivery } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { routeOfDeliveryBytes } from './delivery-route.js';

const push = { push: { id: 'p1', type: 't', payload: new Uint8Array(0), timeMs: 1 } };

describe('routeOfDeliveryBytes', () => {
  it('reads the route from each kind of target', () => {
    expect(
      routeOfDeliveryBytes(encodeDelivery({ channel: 'chat:lobby', publication: { channel: 'chat:lobby' } })),
    ).toEqual({
      kind: 'channel',
      channel: 'chat:lobby',
    });
    expect(routeOfDeliveryBytes(encodeDelivery({ user: 'alice', ...push }))).toEqual({
      kind: 'user',
      user: 'alice',
    });
    expect(routeOfDeliveryBytes(encodeDelivery({ all: true, ...push }))).toEqual({ kind: 'all' });
  });

  it('routes a connection target to the node before the first dot of the connection id', () => {
    expect(routeOfDeliveryBytes(encodeDelivery({ connection: 'edge-1.Qk3x.9a', ...push }))).toEqual({
      kind: 'node',
      node: 'edge-1',
    });
  });

  it('routes a node target (a node command) to that node', () => {
    const reannounce = { reannounce: { nodeId: 'edge-1' } };
    expect(routeOfDeliveryBytes(encodeDelivery({ node: 'edge-1', ...reannounce }))).toEqual({
      kind: 'node',
      node: 'edge-1',
    });
    expect(routeOfDeliveryBytes(encodeDelivery({ node: 'bad node', ...reannounce }))).toBeUndefined();
  });

  it('finds no route where the bytes give none', () => {
    expect(routeOfDeliveryBytes(encodeDelivery({ ...push }))).toBeUndefined(); // no target
    expect(routeOfDeliveryBytes(encodeDelivery({ all: false, ...push }))).toBeUndefined();
    expect(routeOfDeliveryBytes(encodeDelivery({ channel: '', ...push }))).toBeUndefined();
    expect(routeOfDeliveryBytes(encodeDelivery({ connection: 'no-dot', ...push }))).toBeUndefined();
    expect(routeOfDeliveryBytes(encodeDelivery({ connection: '.x', ...push }))).toBeUndefined();
    expect(routeOfDeliveryBytes(encodeDelivery({ connection: 'bad node.x', ...push }))).toBeUndefined();
    expect(routeOfDeliveryBytes(new TextEncoder().encode('{"channel":"news"}'))).toBeUndefined(); // JSON, not Protobuf
    expect(routeOfDeliveryBytes(new Uint8Array([0xff, 0xff, 0xff]))).toBeUndefined();
  });
});
