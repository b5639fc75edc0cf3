/** The hand-written OpenAPI 3.1 document served at `/v1/openapi.json`. Keep it in step with routes.ts. */
import { MAX_HISTORY_LIMIT } from './routes.js';
import { MAX_BATCH, MAX_CHANNEL, MAX_ID, MAX_REASON_BYTES, MAX_TYPE } from './validate.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: unknown, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});
const jsonResponse = (description: string, schema: unknown) => ({
  description,
  content: { 'application/json': { schema } },
});
const errors = (...codes: string[]) =>
  Object.fromEntries(codes.map((code) => [code, { $ref: `#/components/responses/E${code}` }]));
const pathParam = (name: string, description: string, maxLength = MAX_ID) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', minLength: 1, maxLength },
});

const PUBLISH_ERRORS = errors('400', '401', '413', '503', '504');
const QUERY_ERRORS = errors('400', '401', '502', '503', '504');

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Switchboard publish API',
    version: '1.0.0',
    description:
      'Publish to channels, users, connections and everyone, disconnect clients and query presence and ' +
      'history from any backend. Publishing endpoints answer 202 once the message broker has accepted the ' +
      'message; 503 (SB_ERR_BUS_*) when it has not (not published: retrying is safe); 504 ' +
      '(SB_ERR_BUS_OUTCOME_UNKNOWN) when the broker connection died before it confirmed (the message may have ' +
      'been delivered). Every error body is {"error":{"code","message","field?"}}. A valid W3C `traceparent` ' +
      "header is continued: what the request publishes or asks over the bus belongs to the caller's trace.",
  },
  servers: [{ url: 'http://127.0.0.1:8090' }],
  security: [{ bearer: [] }, { apiKey: [] }],
  paths: {
    '/v1/publish': {
      post: {
        operationId: 'publish',
        summary: 'Publish to a channel',
        requestBody: jsonBody(ref('PublishRequest')),
        responses: { '202': jsonResponse('Accepted by the broker', ref('Accepted')), ...PUBLISH_ERRORS },
      },
    },
    '/v1/publish/batch': {
      post: {
        operationId: 'publishBatch',
        summary: 'Publish up to 100 publications',
        description:
          'Every item is validated first: one invalid item fails the whole request with 400 naming it ' +
          '(`items[2].channel`) and nothing is published. Then every item is published: 202 when the ' +
          'broker accepted all, 207 with per-item outcomes otherwise.',
        requestBody: jsonBody({
          type: 'object',
          required: ['items'],
          additionalProperties: false,
          properties: {
            items: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: ref('PublishRequest') },
          },
        }),
        responses: {
          '202': jsonResponse('Every item accepted by the broker', ref('BatchResult')),
          '207': jsonResponse('Some items failed', ref('BatchResult')),
          ...PUBLISH_ERRORS,
        },
      },
    },
    '/v1/broadcast': {
      post: {
        operationId: 'broadcast',
        summary: 'Push to every connection on every node',
        requestBody: jsonBody({
          type: 'object',
          required: ['type', 'data'],
          additionalProperties: false,
          properties: { type: ref('Type'), data: ref('Data'), except: ref('ConnectionId') },
        }),
        responses: { '202': jsonResponse('Accepted by the broker', ref('PushAccepted')), ...PUBLISH_ERRORS },
      },
    },
    '/v1/users/{id}/notify': {
      post: {
        operationId: 'notifyUser',
        summary: 'Push to every connection of a user',
        parameters: [pathParam('id', 'User id')],
        requestBody: jsonBody({
          type: 'object',
          required: ['type', 'data'],
          additionalProperties: false,
          properties: {
            type: ref('Type'),
            data: ref('Data'),
            requiresAck: { type: 'boolean', description: 'The client should ack the push id' },
            except: ref('ConnectionId'),
          },
        }),
        responses: { '202': jsonResponse('Accepted by the broker', ref('PushAccepted')), ...PUBLISH_ERRORS },
      },
    },
    '/v1/orders/events': {
      post: {
        operationId: 'publishOrderEvent',
        summary: 'Publish an order event to the notifications service (work topic `orders`, keyed by user)',
        requestBody: jsonBody({
          type: 'object',
          required: ['orderId', 'userId', 'kind'],
          additionalProperties: false,
          properties: {
            eventId: {
              type: 'string',
              description: 'Idempotency key; a duplicate creates no second notification',
            },
            orderId: { type: 'string' },
            userId: { type: 'string', description: 'The user to notify' },
            kind: { type: 'string', enum: ['created', 'paid', 'shipped', 'delivered', 'cancelled'] },
            details: {
              type: 'object',
              description:
                'Fields of the kind: created {totalCents, currency, items}, paid {amountCents, currency, method}, ' +
                'shipped {carrier, trackingNumber}, delivered {signedBy}, cancelled {reason}',
            },
          },
        }),
        responses: {
          '202': jsonResponse('Accepted by the broker', {
            type: 'object',
            properties: { status: { type: 'string' }, eventId: { type: 'string' } },
          }),
          ...PUBLISH_ERRORS,
        },
      },
    },
    '/v1/connections/{id}/disconnect': {
      post: {
        operationId: 'disconnectConnection',
        summary: 'Close one connection',
        parameters: [pathParam('id', 'Connection id (<node>.<random>)')],
        requestBody: jsonBody(ref('DisconnectRequest'), false),
        responses: { '202': jsonResponse('Accepted by the broker', ref('Accepted')), ...PUBLISH_ERRORS },
      },
    },
    '/v1/users/{id}/disconnect': {
      post: {
        operationId: 'disconnectUser',
        summary: 'Close every connection of a user',
        parameters: [pathParam('id', 'User id')],
        requestBody: jsonBody(ref('DisconnectRequest'), false),
        responses: { '202': jsonResponse('Accepted by the broker', ref('Accepted')), ...PUBLISH_ERRORS },
      },
    },
    '/v1/presence/{channel}': {
      get: {
        operationId: 'presence',
        summary: 'Who is subscribed to a channel, across every edge node',
        parameters: [pathParam('channel', 'Channel name', MAX_CHANNEL)],
        responses: { '200': jsonResponse('Presence', ref('Presence')), ...QUERY_ERRORS },
      },
    },
    '/v1/admin/nodes': {
      get: {
        operationId: 'adminNodes',
        summary: 'Live edge nodes, their connections and busiest channels (the admin page)',
        description:
          'Asked of the presence service, which keeps the last heartbeat of every node whose lease is live. ' +
          'Each node reports its own 10 busiest channels by local subscribers; `busiestChannels` sums them ' +
          "across nodes (a lower bound for a channel outside some node's top 10). The admin page itself is " +
          '`GET /admin` (static, no key; it sends the key the operator pastes as a Bearer token).',
        responses: { '200': jsonResponse('Nodes', ref('Nodes')), ...QUERY_ERRORS },
      },
    },
    '/v1/history/{channel}': {
      get: {
        operationId: 'history',
        summary: 'Recent publications of a durable channel, newest last',
        parameters: [
          pathParam('channel', 'Channel name', MAX_CHANNEL),
          {
            name: 'limit',
            in: 'query',
            description: 'At most this many publications (the service caps it)',
            schema: { type: 'integer', minimum: 1, maximum: MAX_HISTORY_LIMIT },
          },
          {
            name: 'before',
            in: 'query',
            description: 'Only publications with an offset below this one',
            schema: { type: 'integer', minimum: 1 },
          },
        ],
        responses: { '200': jsonResponse('History', ref('History')), ...QUERY_ERRORS },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: { '200': jsonResponse('OpenAPI 3.1 document', { type: 'object' }) },
      },
    },
    '/admin': {
      get: {
        operationId: 'adminPage',
        summary: 'The admin page (HTML; its script and style are /admin/admin.js and /admin/admin.css)',
        description:
          'Static and free of secrets, so it needs no key. The operator pastes an API key; the page keeps ' +
          'it in sessionStorage and sends it as a Bearer token to the /v1 routes. Served with a strict ' +
          "Content-Security-Policy (only this origin's script, style and fetches).",
        security: [],
        responses: { '200': { description: 'The page', content: { 'text/html': {} } } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'healthz',
        summary: 'Process is up',
        security: [],
        responses: { '200': jsonResponse('Up', ref('Status')) },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readyz',
        summary: 'Ready to serve (bus inbox open, not shutting down)',
        security: [],
        responses: {
          '200': jsonResponse('Ready', ref('Status')),
          '503': jsonResponse('Not ready', ref('Status')),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        security: [],
        responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': {} } } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    },
    schemas: {
      Channel: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_CHANNEL,
        pattern: '^[A-Za-z0-9_\\-.:@=,;+]+$',
      },
      Type: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_TYPE,
        description: 'Message type, e.g. order.update',
      },
      Data: { description: 'Any JSON value. Strings are sent as UTF-8 text, every other value as JSON.' },
      ConnectionId: {
        type: 'string',
        minLength: 3,
        maxLength: MAX_ID,
        description: 'Connection id <node>.<random>; this connection does not receive the message',
      },
      PublishRequest: {
        type: 'object',
        required: ['channel', 'type', 'data'],
        additionalProperties: false,
        properties: {
          channel: ref('Channel'),
          type: ref('Type'),
          data: ref('Data'),
          durable: { type: 'boolean', description: 'Recoverable: gets an offset from the history service' },
          except: ref('ConnectionId'),
        },
      },
      DisconnectRequest: {
        type: 'object',
        additionalProperties: false,
        properties: {
          reason: { type: 'string', description: `At most ${MAX_REASON_BYTES} UTF-8 bytes` },
          reconnect: {
            type: 'boolean',
            default: true,
            description: 'May the client reconnect (close 3003 vs 3502)',
          },
        },
      },
      Accepted: { type: 'object', properties: { status: { const: 'accepted' } } },
      PushAccepted: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', description: 'Push id (what the client acks)' } },
      },
      BatchResult: {
        type: 'object',
        properties: {
          accepted: { type: 'integer' },
          failed: { type: 'integer' },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'status'],
              properties: {
                index: { type: 'integer' },
                status: { enum: ['accepted', 'failed'] },
                error: ref('ErrorDetail'),
              },
            },
          },
        },
      },
      ClientInfo: {
        type: 'object',
        properties: {
          userId: { type: 'string' },
          connectionId: { type: 'string' },
          info: { description: 'Connection info given at connect (JSON or text)' },
          infoBase64: { type: 'string', description: 'Connection info when it is not UTF-8' },
        },
      },
      Presence: {
        type: 'object',
        properties: { channel: ref('Channel'), clients: { type: 'array', items: ref('ClientInfo') } },
      },
      ChannelLoad: {
        type: 'object',
        properties: { channel: ref('Channel'), subscribers: { type: 'integer' } },
      },
      Node: {
        type: 'object',
        properties: {
          nodeId: { type: 'string' },
          connections: { type: 'integer' },
          startedAtMs: { type: 'integer' },
          leaseMs: { type: 'integer', description: 'Silent this long, the node counts as dead' },
          lastHeartbeatMs: { type: 'integer', description: "Presence service's clock" },
          busiestChannels: { type: 'array', maxItems: 10, items: ref('ChannelLoad') },
        },
      },
      Nodes: {
        type: 'object',
        properties: {
          nodes: { type: 'array', items: ref('Node') },
          connections: { type: 'integer', description: 'Sum over nodes' },
          busiestChannels: {
            type: 'array',
            maxItems: 20,
            items: {
              type: 'object',
              properties: {
                channel: ref('Channel'),
                subscribers: { type: 'integer' },
                nodes: { type: 'integer', description: 'Nodes it was counted on' },
              },
            },
          },
        },
      },
      Publication: {
        type: 'object',
        properties: {
          offset: { type: 'integer' },
          epoch: { type: 'string' },
          type: { type: 'string' },
          data: { description: 'Payload as JSON when it parses, as text otherwise' },
          dataBase64: { type: 'string', description: 'Payload when it is not UTF-8' },
          timeMs: { type: 'integer' },
          from: ref('ClientInfo'),
        },
      },
      History: {
        type: 'object',
        properties: {
          channel: ref('Channel'),
          position: {
            type: 'object',
            properties: { offset: { type: 'integer' }, epoch: { type: 'string' } },
          },
          publications: { type: 'array', items: ref('Publication') },
        },
      },
      Status: { type: 'object', properties: { status: { type: 'string' }, service: { type: 'string' } } },
      ErrorDetail: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', examples: ['SB_ERR_BAD_REQUEST', 'SB_ERR_BUS_UNAVAILABLE'] },
          message: { type: 'string' },
          field: { type: 'string', description: 'The request field at fault (400 only)' },
        },
      },
      Error: { type: 'object', required: ['error'], properties: { error: ref('ErrorDetail') } },
    },
    responses: {
      E400: jsonResponse('Invalid request; `field` names the field (SB_ERR_BAD_REQUEST)', ref('Error')),
      E401: jsonResponse('Missing or unknown API key (SB_ERR_UNAUTHORIZED)', ref('Error')),
      E413: jsonResponse('Body larger than API_MAX_BODY_BYTES (SB_ERR_BODY_TOO_LARGE)', ref('Error')),
      E502: jsonResponse('The service answered with an error (SB_ERR_SERVICE)', ref('Error')),
      E503: jsonResponse(
        'The bus did not accept the message; it was not published (SB_ERR_BUS_*)',
        ref('Error'),
      ),
      E504: jsonResponse(
        'Queries: the service did not answer in time (SB_ERR_TIMEOUT). Publishes: the broker connection died ' +
          'before it confirmed, the message may have been delivered (SB_ERR_BUS_OUTCOME_UNKNOWN)',
        ref('Error'),
      ),
    },
  },
} as const;
