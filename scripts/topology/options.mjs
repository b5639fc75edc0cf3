// Command line of `pnpm topology`: parsing and validation, with the environment as fallback.
import { isAbsolute, join } from 'node:path';

export const USAGE = `Usage: pnpm topology <up|down|status|check> [options]

  up       start nginx, N edges, history, chat, notifications, presence, api and web as plain processes
  down     stop everything \`up\` started (by pid: SIGTERM, then SIGKILL after --grace-ms)
  status   each process alive/dead and its /healthz (exit 1 when something is down; --json for JSON)
  check    render the nginx config into the run dir and run \`nginx -t\` on it (starts nothing)

Options (environment fallback in brackets):
  --bus URL          amqp://…, kafka://host:port,… or redis://… [SWITCHBOARD_BUS; default amqp://guest:guest@127.0.0.1:5672]
                     (memory is refused: an in-process bus cannot span processes)
  --redis URL        [REDIS_URL; default redis://127.0.0.1:6379]
  --port N           nginx port on 127.0.0.1, 0 = any free port [TOPOLOGY_PORT; default 8080]
  --edges N          edge processes [TOPOLOGY_EDGES; default 2]
  --dir PATH         run dir: state.json, logs/, nginx/ [TOPOLOGY_DIR; default .topology]
  --jwt-secret S     HS256 secret of the edges and the demo tokens [SWITCHBOARD_JWT_SECRET; default random]
  --api-key K        the API's key [API_KEYS (first); default random]
  --log-level L      log level of every process [LOG_LEVEL; default info]
  --grace-ms N       down: time between SIGTERM and SIGKILL [default 20000]
  --replicas S=N     instances of service S (history, chat, notifications, presence), repeatable or
                     comma separated, e.g. --replicas chat=2; extra instances are named chat-2, chat-3, …
                     [default 1 each]
  --env [T:]K=V      extra environment variable K=V for every process, or only for target T (a process
                     name such as edge-1 or chat-2, or a kind or service: edge, service, api, web, chat, …);
                     repeatable, e.g. --env presence:PRESENCE_LEASE_MS=3000
  --json             status: print JSON`;

export class UsageError extends Error {}

const VALUE_FLAGS = new Set([
  'bus',
  'redis',
  'port',
  'edges',
  'dir',
  'jwt-secret',
  'api-key',
  'log-level',
  'grace-ms',
  'replicas',
  'env',
]);

/** Flags that may be given more than once (their values are collected in order). */
const REPEATABLE = new Set(['replicas', 'env']);
export const SCALABLE_SERVICES = ['history', 'chat', 'notifications', 'presence'];

function integer(name, raw, min, max) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`--${name}: "${raw}" is not an integer between ${min} and ${max}`);
  return value;
}

/** Normalises the bus choice: `amqp`/`kafka` shorthands, URLs, and a clear refusal of `memory`. */
export function resolveBus(raw) {
  if (raw === 'memory')
    throw new UsageError(
      '--bus memory: the in-process bus cannot connect separate processes; use amqp://… (RabbitMQ) or kafka://host:port (Kafka), or `pnpm start` for the single-process mode',
    );
  if (raw === 'amqp' || raw === 'rabbitmq') return 'amqp://guest:guest@127.0.0.1:5672';
  if (raw === 'kafka')
    throw new UsageError(
      '--bus kafka: name the broker, e.g. --bus kafka://127.0.0.1:9092 (the topology does not start Kafka)',
    );
  // A RabbitMQ cluster: every node's full URL, comma-separated (the bus checks each at start-up).
  if (raw.split(/,(?=\s*amqps?:\/\/)/).every((u) => /^\s*amqps?:\/\//.test(u) && URL.canParse(u.trim())))
    return raw;
  if (/^kafka:\/\/[^,\s]+(,[^,\s]+)*$/.test(raw)) return raw;
  if (raw === 'redis') return 'redis://127.0.0.1:6379';
  if (/^rediss?:\/\//.test(raw) && URL.canParse(raw)) return raw;
  if (/^redis\+sentinel:\/\/[^/\s]+\/[^/\s]+/.test(raw)) return raw; // Sentinel: host:port,…/primary
  throw new UsageError(
    `--bus: "${raw}" is not amqp://user:pass@host:port[/vhost], kafka://host:port,… or redis://host:port`,
  );
}

export function parseArgs(argv, env, root) {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') return { command: 'help' };
  if (!['up', 'down', 'status', 'check'].includes(command))
    throw new UsageError(`unknown command "${command}"`);
  const given = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'json') {
      given.json = true;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (REPEATABLE.has(name)) given[name] = [...(given[name] ?? []), value];
    else given[name] = value;
  }
  const dirRaw = given.dir ?? env.TOPOLOGY_DIR ?? '.topology';
  const apiKey = given['api-key'] ?? env.API_KEYS?.split(',')[0]?.trim();
  return {
    command,
    json: given.json === true,
    dir: isAbsolute(dirRaw) ? dirRaw : join(root, dirRaw),
    bus: resolveBus(given.bus ?? env.SWITCHBOARD_BUS ?? 'amqp'),
    redis: given.redis ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    port: integer('port', given.port ?? env.TOPOLOGY_PORT ?? '8080', 0, 65535),
    edges: integer('edges', given.edges ?? env.TOPOLOGY_EDGES ?? '2', 1, 32),
    jwtSecret: given['jwt-secret'] ?? env.SWITCHBOARD_JWT_SECRET ?? undefined,
    apiKey: apiKey || undefined,
    logLevel: given['log-level'] ?? env.LOG_LEVEL ?? 'info',
    graceMs: integer('grace-ms', given['grace-ms'] ?? '20000', 100, 600_000),
    replicas: parseReplicas(given.replicas ?? []),
    env: (given.env ?? []).map(parseEnv),
  };
}

function parseReplicas(values) {
  const replicas = Object.fromEntries(SCALABLE_SERVICES.map((name) => [name, 1]));
  for (const part of values.flatMap((v) => v.split(','))) {
    const m = /^\s*([a-z]+)=(\d+)\s*$/.exec(part);
    if (!m || !SCALABLE_SERVICES.includes(m[1]))
      throw new UsageError(`--replicas: "${part}" is not S=N with S one of ${SCALABLE_SERVICES.join(', ')}`);
    replicas[m[1]] = integer('replicas', m[2], 1, 8);
  }
  return replicas;
}

function parseEnv(raw) {
  const m = /^(?:([A-Za-z0-9_-]+):)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(raw);
  if (!m) throw new UsageError(`--env: "${raw}" is not [target:]NAME=VALUE`);
  return { target: m[1], name: m[2], value: m[3] };
}
