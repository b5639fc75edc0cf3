/**
 * What `switchboard <command>` can start: the all-in-one (`start`) and each tier of the production topology
 * alone, with the help text `switchboard <command> --help` prints. Each tier is its service's own entry
 * point (services/<tier>/src/main.ts), unchanged: built into dist/tiers/<tier>.js by scripts/build.
 */

export interface Tier {
  /** The service folder under services/ and the bundle under dist/tiers/. */
  readonly entry: string;
  readonly summary: string;
  readonly help: string;
}

const COMMON = `Common settings: SWITCHBOARD_LOG_LEVEL (info), SWITCHBOARD_BUS (memory | amqp://… | kafka://… | redis://…),
REDIS_URL (shared state; unset: in memory). Every setting: docs/operations.md. SIGTERM/SIGINT stop cleanly.`;

export const TIERS: Readonly<Record<string, Tier>> = {
  start: {
    entry: 'standalone',
    summary: 'the all-in-one: edge, every service, the HTTP API and the demo page in one process',
    help: `Starts Switchboard in one process, as \`pnpm start\` does in a clone: the WebSocket edge, the chat,
history, presence and notifications services, the HTTP API and the demo page. By default on the in-process
bus with in-memory stores (no broker, no Redis), bound to 127.0.0.1.

Settings: SWITCHBOARD_PORT (8080: page and WebSocket), API_HTTP_PORT (8090), SWITCHBOARD_INTERNAL_PORT
(8091: /metrics, /stats.json, /healthz), SWITCHBOARD_HOST (127.0.0.1), SWITCHBOARD_JWT_SECRET, API_KEYS.
${COMMON}`,
  },
  edge: {
    entry: 'edge',
    summary: 'a WebSocket edge node (--workers N: N processes sharing the port)',
    help: `Starts one edge node: the WebSocket gateway that relays frames between clients and the bus.
Options: --workers N (N processes sharing the port; needs a shared broker).

Settings: SWITCHBOARD_EDGE_PORT (8080), SWITCHBOARD_JWT_SECRET or SWITCHBOARD_JWKS_URL, SWITCHBOARD_NODE_ID.
${COMMON}`,
  },
  chat: {
    entry: 'chat',
    summary: 'the chat service (rooms, messages, typing)',
    help: `Starts the chat service: rooms, messages, edits, typing, private messages.

Settings: CHAT_HTTP_PORT (9101: /healthz, /readyz, /metrics), CHAT_ROOMS.
${COMMON}`,
  },
  history: {
    entry: 'history',
    summary: 'the history service (offsets, epochs, recovery of durable channels)',
    help: `Starts the history service: offsets and epochs of durable channels, bounded history, recovery.

Settings: HISTORY_HTTP_PORT (9102: /healthz, /readyz, /metrics).
${COMMON}`,
  },
  presence: {
    entry: 'presence',
    summary: 'the presence service (who is in a channel)',
    help: `Starts the presence service: who is subscribed to a channel, joins and leaves.

Settings: PRESENCE_HTTP_PORT (9104: /healthz, /readyz, /metrics).
${COMMON}`,
  },
  notifications: {
    entry: 'notifications',
    summary: 'the notifications service (user inboxes, order events)',
    help: `Starts the notifications service: user inboxes with acks, order events turned into notifications.

Settings: NOTIFICATIONS_HTTP_PORT (9103: /healthz, /readyz, /metrics).
${COMMON}`,
  },
  api: {
    entry: 'api',
    summary: 'the HTTP API (publish, broadcast, notify, disconnect, presence, history)',
    help: `Starts the HTTP API that backends call: publish, broadcast, notify, disconnect, presence, history.

Settings: API_HTTP_PORT (8090), API_KEYS (or API_ALLOW_NO_AUTH=true).
${COMMON}`,
  },
  web: {
    entry: 'web',
    summary: 'the demo page (static files, config; demo tokens in demo mode)',
    help: `Starts the demo page server: the page, its config { wsUrl, apiBase }, /healthz and /metrics.

Settings: WEB_HTTP_PORT (8088), WEB_HOST (0.0.0.0), WEB_WS_URL (/ws), WEB_API_BASE (/api),
WEB_API_URL, WEB_DEV_TOKENS (false; needs SWITCHBOARD_JWT_SECRET).`,
  },
};
