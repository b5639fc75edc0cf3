/**
 * The history service: the single writer of durable channels.
 *
 * - `history.publish` (from Publisher.toChannel(..., { durable: true })): the payload is the whole
 *   Delivery; the Publication gets the channel's next offset and its epoch, is stored, and the Delivery goes
 *   to the channel route with `except_connection` and `published_at_ms` as they came, durable, and the
 *   Inbound's `trace_id` (a W3C traceparent: the handler's span with tracing on, else as it came).
 * - `history.recover` (from an edge, for every Subscribe to a durable channel): answers the connection with
 *   Subscribed{position = the stream top} on the client's frame id; when the Subscribe had `since`, also
 *   `was_recovering`, `recovered` and the publications since that position (rules in recovery.ts). A
 *   channel without history gets its epoch here, so the position {0, epoch} is one to resume from.
 * - `history.query` (from an edge, for a HistoryRequest): answers with HistoryResult on the frame id.
 *
 * Order per channel holds because the kit consumes the topic ordered by key = channel. Delivery is at least
 * once: a publish redelivered after its append (e.g. the fan-out failed) is deduplicated by the store on the
 * Inbound's `request_id` (the publish id) while its publication is kept, and sent again with its first
 * offset. An Inbound without a request_id is appended every time it arrives.
 */
import {
  type Delivery,
  decodeDelivery,
  ErrorCodes,
  type ErrorSpec,
  HistoryTypes,
  type IDelivery,
  type Inbound,
  switchboard,
} from '@switchboard/protocol';
import { HISTORY_PUBLISH_TYPE, HISTORY_TOPIC } from '@switchboard/publisher';
import { defineService, type Service, type ServiceOptions } from '@switchboard/service-kit';
import { registerHistoryMetrics } from './history-metrics.js';
import { type HistoryStore, toOffset } from './history-store.js';
import { DEFAULT_RECOVERY_LIMITS, type RecoveryLimits, recoverSince } from './recovery.js';

const v1 = switchboard.v1;

export const HISTORY_RECOVER_TYPE = HistoryTypes.recover;
export const HISTORY_QUERY_TYPE = HistoryTypes.query;

export interface HistoryServiceOptions extends Omit<ServiceOptions, 'name'>, Partial<RecoveryLimits> {
  readonly store: HistoryStore;
  /** Cap of a history query's `limit` (and what limit 0 means). Default 100. */
  readonly maxQueryLimit?: number;
  /** Clock for `published_at_ms` of answers. Default Date.now. */
  readonly now?: () => number;
}

function decodePublishDelivery(bytes: Uint8Array): Delivery {
  const delivery = decodeDelivery(bytes);
  if (delivery.target !== 'channel' || !delivery.channel)
    throw new Error('history.publish carries a Delivery without a channel target');
  if (delivery.body !== 'publication' || !delivery.publication)
    throw new Error('history.publish carries a Delivery without a publication');
  return delivery;
}

export function createHistoryService(options: HistoryServiceOptions): Service {
  const {
    store,
    maxQueryLimit = 100,
    now = Date.now,
    maxRecoveryPublications = DEFAULT_RECOVERY_LIMITS.maxRecoveryPublications,
    maxRecoveryBytes = DEFAULT_RECOVERY_LIMITS.maxRecoveryBytes,
    ...serviceOptions
  } = options;
  const limits: RecoveryLimits = { maxRecoveryPublications, maxRecoveryBytes };
  const service = defineService({ ...serviceOptions, name: HISTORY_TOPIC });
  registerHistoryMetrics(service.metrics, store);

  /** A direct answer to a client command: a Delivery to the connection carrying the client's frame id. */
  const answer = async (
    inbound: Inbound,
    body: Pick<IDelivery, 'subscribed' | 'history' | 'error' | 'recoveryContinues'>,
  ) => {
    const frameId = Number(inbound.requestId);
    if (!inbound.connectionId || !Number.isInteger(frameId) || frameId <= 0 || frameId > 0xffffffff) {
      service.log.warn(
        { type: inbound.type, connectionId: inbound.connectionId, requestId: inbound.requestId },
        'no connection or frame id to answer; dropping the answer',
      );
      return;
    }
    await service.publisher.send({
      connection: inbound.connectionId,
      frameId,
      service: HISTORY_TOPIC, // the edge accepts an answer only from the service it asked
      publishedAtMs: now(),
      traceId: inbound.traceId,
      ...body,
    });
  };

  const errorBody = (spec: ErrorSpec, detail: string) => ({
    error: { code: spec.wire, message: `${spec.message}: ${detail}`, temporary: spec.temporary },
  });

  service.on<Delivery>(
    HISTORY_PUBLISH_TYPE,
    async ({ payload: delivery, inbound }) => {
      const channel = delivery.channel as string;
      const publication = { ...(delivery.publication as switchboard.v1.IPublication), channel };
      const position = await store.append(channel, publication, inbound.requestId || undefined);
      await service.publisher.send({
        channel,
        exceptConnection: delivery.exceptConnection,
        durable: true,
        publishedAtMs: delivery.publishedAtMs,
        // The traceparent the kit put in the Inbound (this handler's span, with tracing on; else the one the
        // publisher sent, which Publisher.toChannel also puts in the Delivery): edge writes continue from it.
        traceId: inbound.traceId || delivery.traceId,
        publication: { ...publication, offset: position.offset, epoch: position.epoch },
      });
    },
    { decode: decodePublishDelivery },
  );

  service.on<switchboard.v1.Subscribe>(
    HISTORY_RECOVER_TYPE,
    async ({ payload: subscribe, inbound }) => {
      const channel = subscribe.channel;
      if (!channel) return answer(inbound, errorBody(ErrorCodes.BadChannel, 'recovery without a channel'));
      const since = subscribe.since;
      const wasRecovering = Boolean(since);
      const { recovered, position, publications, continues } = since
        ? await recoverSince(store, channel, toOffset(since.offset), since.epoch ?? '', limits)
        : { recovered: false, position: await store.open(channel), publications: [], continues: false };
      await answer(inbound, {
        recoveryContinues: continues,
        subscribed: {
          channel,
          durable: true,
          position,
          recovered,
          wasRecovering,
          publications,
        },
      });
    },
    { decode: (bytes) => v1.Subscribe.decode(bytes) },
  );

  service.on<switchboard.v1.HistoryRequest>(
    HISTORY_QUERY_TYPE,
    async ({ payload: request, inbound }) => {
      const channel = request.channel;
      if (!channel) return answer(inbound, errorBody(ErrorCodes.BadChannel, 'history without a channel'));
      const limit = request.limit > 0 ? Math.min(request.limit, maxQueryLimit) : maxQueryLimit;
      const page = await store.latest(channel, limit, toOffset(request.beforeOffset));
      await answer(inbound, {
        history: { channel, position: page.position, publications: page.publications },
      });
    },
    { decode: (bytes) => v1.HistoryRequest.decode(bytes) },
  );

  return service;
}
