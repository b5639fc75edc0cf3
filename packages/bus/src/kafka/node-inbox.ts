/**
 * openNode on Kafka. Every delivery goes to the one topic `sb.deliveries`, which every node reads whole in
 * its own group `sb.node.<node>` and filters by its local interest set before the handler. The route is
 * the `sb-route` header; a record without a valid one (a backend in another language that sent only the
 * Delivery, docs/bus-contract.md) is routed by the Delivery's own target, and one whose route cannot be
 * told either way is refused loudly (a `delivery-refused` event and a rate-limited warning). The topic has ONE partition: that is what keeps per-publisher order across routes, and it is
 * the Kafka fan-out ceiling. Every node receives every delivery of the whole fleet, so the cost grows with
 * nodes x total traffic; for large fleets use RabbitMQ for edge fan-out (interest-based bindings), Kafka
 * for business events.
 *
 * A node starts at the END of the topic as of openNode: the end offsets are read before the consumer
 * starts and the consumer seeks there on its first assignment, before its first fetch, so a message
 * published after openNode resolves is never missed and nothing older is replayed. After a crash or broker
 * restart the consumer resumes from its committed offset. Fire-and-forget: offsets auto-commit.
 */
import type { Admin } from 'kafkajs';
import { routeOfDeliveryBytes } from '../delivery-route.js';
import { BusUnavailableError } from '../errors.js';
import { DeliveryRefusals } from '../refusals.js';
import { allRoute, nodeRoute, parseRouteKey, routeKey } from '../routes.js';
import type { DeliveryHandler, NodeSubscription, Route, TransportEvent } from '../transport.js';
import { GroupConsumer, type GroupConsumerDeps } from './group-consumer.js';
import { headerText, recordBytes } from './kafka-headers.js';
import { errorMessage } from './kafka-log.js';
import { DELIVERIES_TOPIC, HEADER_ROUTE, nodeGroup } from './kafka-names.js';
import type { TopicRegistry } from './kafka-topics.js';

export interface NodeInboxDeps extends GroupConsumerDeps {
  readonly topics: TopicRegistry;
  readonly admin: () => Promise<Admin>;
  /** Reports transport events (a refused delivery). */
  readonly emit: (event: TransportEvent) => void;
}

function tryParse(key: string): Route | undefined {
  try {
    return parseRouteKey(key);
  } catch {
    return undefined;
  }
}

const isRouteKey = (key: string): boolean => tryParse(key) !== undefined;

/** Route keys a node always wants: everyone, and itself. */
export function permanentInterest(node: string): Set<string> {
  return new Set([routeKey(allRoute), routeKey(nodeRoute(node))]);
}

export async function openNodeInbox(
  deps: NodeInboxDeps,
  node: string,
  handler: DeliveryHandler,
  onClose: () => void,
): Promise<NodeSubscription> {
  const groupId = nodeGroup(node);
  await deps.topics.ensure({ topic: DELIVERIES_TOPIC, partitions: 1 });
  let ends: { partition: number; offset: string }[];
  try {
    const admin = await deps.admin();
    ends = (await admin.fetchTopicOffsets(DELIVERIES_TOPIC)).map(({ partition, high }) => ({
      partition,
      offset: high,
    }));
  } catch (error) {
    throw new BusUnavailableError(`cannot read the end of ${DELIVERIES_TOPIC}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const permanent = permanentInterest(node);
  const interest = new Set(permanent);
  const refusals = new DeliveryRefusals(node, deps.emit, deps.logger);

  const consumer = await GroupConsumer.start(deps, {
    groupId,
    topic: DELIVERIES_TOPIC,
    fromBeginning: false,
    autoCommit: true,
    partitionsConsumedConcurrently: 1,
    onFirstJoin: (kafkaConsumer) => {
      for (const { partition, offset } of ends)
        kafkaConsumer.seek({ topic: DELIVERIES_TOPIC, partition, offset });
    },
    eachMessage: async ({ message }, self) => {
      if (self.closing) return;
      const header = headerText(message.headers, HEADER_ROUTE);
      // The common case first: a header naming a route this node does not want is skipped unparsed.
      if (header !== undefined && !interest.has(header) && isRouteKey(header)) return;
      const bytes = recordBytes(message.value);
      const route = (header === undefined ? undefined : tryParse(header)) ?? routeOfDeliveryBytes(bytes);
      if (!route) {
        refusals.refuse({ offset: message.offset, header });
        return;
      }
      if (!interest.has(routeKey(route))) return;
      try {
        handler(bytes, route);
      } catch (error) {
        deps.logger.warn({ node, error: errorMessage(error) }, 'delivery handler threw');
      }
    },
  });

  let open = true;
  const subscription: NodeSubscription = {
    node,
    addInterest: async (route) => {
      if (open) interest.add(routeKey(route));
    },
    removeInterest: async (route) => {
      const key = routeKey(route);
      if (!permanent.has(key)) interest.delete(key);
    },
    close: async () => {
      if (!open) return;
      open = false;
      interest.clear();
      onClose();
      await consumer.close();
    },
  };
  return subscription;
}
