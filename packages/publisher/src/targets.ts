/**
 * Target validation and the Delivery -> Route mapping. A connection id is `<node>.<random>` (the edge
 * assigns `${nodeId}.${random}` and node ids never contain a `.`), so a connection-targeted delivery routes
 * to that node's inbox; every other target routes by itself.
 */
import { allRoute, channelRoute, nodeRoute, type Route, userRoute } from '@switchboard/bus';
import { type IDelivery, parseChannel } from '@switchboard/protocol';
import { PublisherError, PublisherErrorCodes } from './errors.js';

const NODE_ID = /^[A-Za-z0-9_-]{1,100}$/;

export function assertChannel(channel: string): void {
  try {
    parseChannel(channel);
  } catch (cause) {
    throw new PublisherError(
      PublisherErrorCodes.BadChannel,
      `channel "${channel}": ${(cause as Error).message}`,
      { cause },
    );
  }
}

export function assertUser(user: string): void {
  if (typeof user !== 'string' || user.length === 0)
    throw new PublisherError(PublisherErrorCodes.BadUser, 'user id must be a non-empty string');
}

/** The node id embedded in a connection id (`<node>.<random>`); throws PublisherError when there is none. */
export function nodeOfConnection(connectionId: string): string {
  const dot = typeof connectionId === 'string' ? connectionId.indexOf('.') : -1;
  const node = dot > 0 ? connectionId.slice(0, dot) : '';
  if (!NODE_ID.test(node) || dot === connectionId.length - 1)
    throw new PublisherError(
      PublisherErrorCodes.BadConnection,
      `connection id "${connectionId}" is not <node>.<random> with a node id matching ${NODE_ID}`,
    );
  return node;
}

/** The route a delivery travels on, from its target; validates the target on the way. */
export function routeOf(delivery: IDelivery): Route {
  if (delivery.channel != null) {
    assertChannel(delivery.channel);
    return channelRoute(delivery.channel);
  }
  if (delivery.user != null) {
    assertUser(delivery.user);
    return userRoute(delivery.user);
  }
  if (delivery.connection != null) return nodeRoute(nodeOfConnection(delivery.connection));
  if (delivery.all) return allRoute;
  throw new PublisherError(
    PublisherErrorCodes.BadTarget,
    'delivery has no target: set channel, user, connection or all',
  );
}
