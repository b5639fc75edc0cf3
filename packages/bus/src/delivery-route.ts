/**
 * The route of a delivery read from its own bytes, for messages a publisher sent without the transport's
 * route header (a backend in another language writing to the broker directly, docs/bus-contract.md). The
 * deliveries route carries `switchboard.v1.Delivery`, whose target names the route: channel -> `c:`,
 * user -> `u:`, all -> `*`, node -> that node, connection -> the node embedded in the connection id
 * (`<node>.<random>`).
 * Only used when the header is missing, so the common path never decodes on the bus side.
 */
import { decodeDelivery } from '@switchboard/protocol';
import { allRoute, channelRoute, nodeRoute, userRoute } from './routes.js';
import type { Route } from './transport.js';

const NODE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The route of the Delivery in `bytes`; undefined when the bytes are not a Delivery with a usable target. */
export function routeOfDeliveryBytes(bytes: Uint8Array): Route | undefined {
  let target: string | undefined;
  let value: string | boolean | null | undefined;
  try {
    const delivery = decodeDelivery(bytes);
    target = delivery.target;
    value = target ? delivery[target as 'channel' | 'user' | 'connection' | 'all' | 'node'] : undefined;
  } catch {
    return undefined;
  }
  switch (target) {
    case 'channel':
      return typeof value === 'string' && value ? channelRoute(value) : undefined;
    case 'user':
      return typeof value === 'string' && value ? userRoute(value) : undefined;
    case 'all':
      return value === true ? allRoute : undefined;
    case 'node':
      return typeof value === 'string' && NODE_ID.test(value) ? nodeRoute(value) : undefined;
    case 'connection': {
      const dot = typeof value === 'string' ? value.indexOf('.') : -1;
      const node = dot > 0 ? (value as string).slice(0, dot) : '';
      return NODE_ID.test(node) ? nodeRoute(node) : undefined;
    }
    default:
      return undefined;
  }
}
