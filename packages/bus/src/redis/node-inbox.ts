/**
 * A node's delivery inbox on Redis Pub/Sub: its own subscriber connection, SUBSCRIBEd to `sb:d:*` (all),
 * `sb:d:n:<node>` (its node route) and one channel per added interest. addInterest resolves when Redis
 * confirmed the SUBSCRIBE. ioredis re-subscribes every channel after a reconnect (autoResubscribe). At most
 * once: a message published while the connection is down is lost for this node.
 */
import type { Redis } from 'ioredis';
import { allRoute, nodeRoute, routeKey } from '../routes.js';
import type { DeliveryHandler, NodeSubscription, Route } from '../transport.js';
import { deliveryChannel, routeOfChannel } from './redis-names.js';
import type { RedisBusLogger } from './redis-options.js';

export async function openRedisNodeInbox(
  subscriber: Redis,
  node: string,
  handler: DeliveryHandler,
  logger: RedisBusLogger,
  onClose: () => void,
): Promise<NodeSubscription> {
  const interests = new Set<string>([deliveryChannel(allRoute), deliveryChannel(nodeRoute(node))]);
  let closed = false;
  subscriber.on('messageBuffer', (channelBuffer: Buffer, message: Buffer) => {
    const channel = channelBuffer.toString();
    if (closed || !interests.has(channel)) return; // a late message of a removed interest
    let route: Route;
    try {
      route = routeOfChannel(channel);
    } catch {
      return;
    }
    try {
      handler(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), route);
    } catch (error) {
      logger.error({ err: error, node, route: routeKey(route) }, 'delivery handler threw');
    }
  });
  try {
    await subscriber.subscribe(...interests);
  } catch (error) {
    subscriber.disconnect();
    throw error;
  }
  return {
    node,
    addInterest: async (route) => {
      const channel = deliveryChannel(route);
      if (closed || interests.has(channel)) return;
      interests.add(channel);
      await subscriber.subscribe(channel);
    },
    removeInterest: async (route) => {
      const channel = deliveryChannel(route);
      if (closed || !interests.has(channel)) return;
      if (route.kind === 'all' || (route.kind === 'node' && route.node === node)) return; // always kept
      interests.delete(channel);
      await subscriber.unsubscribe(channel);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      onClose();
      subscriber.disconnect();
    },
  };
}
