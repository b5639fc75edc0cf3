#!/usr/bin/env node
// `pnpm topology up|down|status|check`: the production topology as plain processes on this machine —
// nginx (Debian package) in front of N edges, the history, chat, notifications and presence services, the
// HTTP API and the demo page, against RabbitMQ or Kafka and Redis. Logs go to <dir>/logs/<name>.log, pids
// to <dir>/state.json; `down` stops exactly those pids. See docs/operations.md and `pnpm topology --help`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxArgs, nginxBinary, testNginxConf, writeNginxConf } from './topology/nginx.mjs';
import { parseArgs, USAGE, UsageError } from './topology/options.mjs';
import {
  freePort,
  groupMembers,
  portIsFree,
  probe,
  sleep,
  startDetached,
  stopProcess,
  tail,
} from './topology/processes.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(root, 'node_modules/.bin/tsx');
const READY_TIMEOUT_MS = 90_000;

/** The services, in start order; each reads its own *_HTTP_PORT (see services/<name>/src/config.ts). */
const SERVICES = [
  { name: 'history', entry: 'services/history/src/main.ts', portVar: 'HISTORY_HTTP_PORT' },
  { name: 'chat', entry: 'services/chat/src/main.ts', portVar: 'CHAT_HTTP_PORT' },
  { name: 'notifications', entry: 'services/notifications/src/main.ts', portVar: 'NOTIFICATIONS_HTTP_PORT' },
  { name: 'presence', entry: 'services/presence/src/main.ts', portVar: 'PRESENCE_HTTP_PORT' },
];

const stateFile = (dir) => join(dir, 'state.json');

function readState(dir) {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8'));
}

function writeState(dir, state) {
  writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

const isUp = (p) => groupMembers(p.pid).length > 0;

async function health(p) {
  const result = await probe(p.port, p.health);
  return { ...result, ok: result.status === 200 };
}

async function up(o) {
  const previous = readState(o.dir);
  if (previous?.processes?.some(isUp))
    throw new UsageError(
      `a topology from ${relative(root, o.dir) || o.dir} is running: \`pnpm topology down\` first (or use another --dir)`,
    );
  if (!existsSync(TSX)) throw new UsageError(`${TSX} is missing: run pnpm install`);
  if (!existsSync(nginxBinary()))
    throw new UsageError(
      `nginx not found at ${nginxBinary()}: apt-get install nginx-light (or set NGINX_BIN)`,
    );
  if (!/^(rediss?|redis\+sentinel):\/\//.test(o.redis))
    throw new UsageError(
      `--redis: "${o.redis}" is not redis://host:port or redis+sentinel://host:port,…/primary`,
    );

  const logDir = join(o.dir, 'logs');
  const nginxDir = join(o.dir, 'nginx');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(nginxDir, { recursive: true });

  let port = o.port;
  if (port === 0) port = await freePort();
  else if (!(await portIsFree(port)))
    throw new UsageError(`port ${port} is taken: pick another with --port N (0 = any free port)`);

  const jwtSecret = o.jwtSecret ?? randomBytes(32).toString('base64url');
  const apiKey = o.apiKey ?? `sb_${randomBytes(18).toString('base64url')}`;
  const common = { SWITCHBOARD_BUS: o.bus, LOG_LEVEL: o.logLevel, SWITCHBOARD_LOG_LEVEL: o.logLevel };

  /** @type {{ name: string, kind: string, command: string, args: string[], env: object, port: number, health: string }[]} */
  const plan = [];
  for (const s of SERVICES) {
    for (let i = 1; i <= (o.replicas?.[s.name] ?? 1); i++) {
      const p = await freePort();
      plan.push({
        name: i === 1 ? s.name : `${s.name}-${i}`,
        service: s.name,
        kind: 'service',
        command: TSX,
        args: [s.entry],
        env: { ...common, REDIS_URL: o.redis, [s.portVar]: String(p) },
        port: p,
        health: '/readyz',
      });
    }
  }
  const apiPort = await freePort();
  plan.push({
    name: 'api',
    kind: 'api',
    command: TSX,
    args: ['services/api/src/main.ts'],
    env: {
      ...common,
      API_HTTP_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      API_KEYS: apiKey,
      API_NODE_ID: 'api-1',
    },
    port: apiPort,
    health: '/readyz',
  });
  const edgePorts = [];
  for (let i = 1; i <= o.edges; i++) {
    const p = await freePort();
    edgePorts.push(p);
    plan.push({
      name: `edge-${i}`,
      kind: 'edge',
      command: TSX,
      args: ['services/edge/src/main.ts'],
      env: {
        ...common,
        SWITCHBOARD_NODE_ID: `edge-${i}`,
        SWITCHBOARD_EDGE_HOST: '127.0.0.1',
        SWITCHBOARD_EDGE_PORT: String(p),
        SWITCHBOARD_JWT_SECRET: jwtSecret,
      },
      port: p,
      health: '/readyz',
    });
  }
  const webPort = await freePort();
  plan.push({
    name: 'web',
    kind: 'web',
    command: TSX,
    args: ['services/web/src/main.ts'],
    env: {
      ...common,
      WEB_HTTP_PORT: String(webPort),
      WEB_HOST: '127.0.0.1',
      WEB_API_URL: `http://127.0.0.1:${apiPort}`,
      // The local topology is for development: the demo page gets tokens signed with the edges' secret.
      WEB_DEV_TOKENS: 'true',
      SWITCHBOARD_JWT_SECRET: jwtSecret,
    },
    port: webPort,
    health: '/healthz',
  });

  writeNginxConf(root, { prefix: nginxDir, logDir, port, edges: edgePorts, api: apiPort, web: webPort });
  await testNginxConf(nginxDir, logDir);
  plan.push({
    name: 'nginx',
    kind: 'nginx',
    command: nginxBinary(),
    args: nginxArgs(nginxDir, logDir),
    env: {},
    port,
    health: '/nginx-healthz',
  });

  const state = {
    version: 1,
    startedAt: new Date().toISOString(),
    url: `http://127.0.0.1:${port}`,
    port,
    bus: o.bus,
    redis: o.redis,
    jwtSecret,
    apiKey,
    logDir,
    processes: [],
  };
  const started = [];
  const failWith = async (message) => {
    const details = started
      .filter((p) => !isUp(p) || p.failed)
      .map((p) => `--- ${p.name} (${p.log}):\n${tail(p.log, 15)}`)
      .join('\n');
    console.error(`topology up failed: ${message}\n${details}\nstopping what was started…`);
    await stopAll(started, 5_000);
    writeState(o.dir, { ...state, processes: [] });
    process.exitCode = 1;
  };

  // --env overrides: for every process, or for those whose name, kind or service is the target.
  for (const step of plan)
    for (const e of o.env ?? [])
      if (e.target === undefined || [step.name, step.kind, step.service].includes(e.target))
        step.env[e.name] = e.value;

  for (const step of plan) {
    const log = join(logDir, `${step.name}.log`);
    writeFileSync(log, '');
    const pid = startDetached(step.command, step.args, {
      env: { ...process.env, ...step.env },
      cwd: root,
      logFile: log,
    });
    const entry = { name: step.name, kind: step.kind, pid, port: step.port, health: step.health, log };
    started.push(entry);
    state.processes = started;
    writeState(o.dir, state); // recorded at once: a crash of `up` still leaves pids for `down`
  }

  const deadline = Date.now() + READY_TIMEOUT_MS;
  const pending = new Set(started);
  while (pending.size > 0) {
    for (const p of [...pending]) {
      if (!isUp(p)) {
        p.failed = true;
        return failWith(`${p.name} exited during start`);
      }
      if ((await health(p)).ok) pending.delete(p);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      for (const p of pending) p.failed = true;
      return failWith(
        `not ready after ${READY_TIMEOUT_MS / 1000} s: ${[...pending].map((p) => p.name).join(', ')}`,
      );
    }
    await sleep(250);
  }

  console.log(`Switchboard topology is up on ${state.url} (bus ${redact(o.bus)}, redis ${redact(o.redis)})`);
  for (const p of started)
    console.log(`  ${p.name.padEnd(14)} pid ${String(p.pid).padEnd(8)} 127.0.0.1:${p.port}`);
  console.log(
    `  demo page      ${state.url}/   (WebSocket ${state.url.replace('http', 'ws')}/ws, API ${state.url}/v1/)`,
  );
  console.log(`  logs           ${relative(root, logDir) || logDir}/<name>.log`);
  console.log(`  secrets        ${relative(root, stateFile(o.dir))} (jwtSecret, apiKey)`);
  console.log('  stop with      pnpm topology down');
}

function redact(url) {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

/** nginx first (no new sockets), then edges (they drain), web and api, then the services. */
async function stopAll(processes, graceMs) {
  const order = [['nginx'], ['edge', 'web', 'api'], ['service']];
  const results = [];
  for (const kinds of order) {
    const batch = processes.filter((p) => kinds.includes(p.kind));
    results.push(
      ...(await Promise.all(
        batch.map(async (p) => ({ name: p.name, pid: p.pid, result: await stopProcess(p.pid, graceMs) })),
      )),
    );
  }
  return results;
}

async function down(o) {
  const state = readState(o.dir);
  if (!state || state.processes.length === 0) {
    console.log('no topology recorded in ' + (relative(root, o.dir) || o.dir) + ': nothing to stop');
    return;
  }
  const results = await stopAll(state.processes, o.graceMs);
  for (const r of results) console.log(`  ${r.name.padEnd(14)} pid ${String(r.pid).padEnd(8)} ${r.result}`);
  const stuck = results.filter((r) => r.result === 'stuck');
  if (stuck.length > 0) {
    writeState(o.dir, {
      ...state,
      processes: state.processes.filter((p) => stuck.some((s) => s.pid === p.pid)),
    });
    console.error(`could not stop: ${stuck.map((s) => `${s.name} (${s.pid})`).join(', ')}`);
    process.exitCode = 1;
    return;
  }
  rmSync(stateFile(o.dir), { force: true });
  console.log(`topology stopped; logs kept in ${relative(root, state.logDir) || state.logDir}`);
}

async function status(o) {
  const state = readState(o.dir);
  if (!state || state.processes.length === 0) {
    if (o.json) console.log(JSON.stringify({ running: false, processes: [] }));
    else console.log('no topology running (nothing recorded in ' + (relative(root, o.dir) || o.dir) + ')');
    process.exitCode = 1;
    return;
  }
  const rows = await Promise.all(
    state.processes.map(async (p) => {
      const running = isUp(p);
      const h = running ? await health(p) : { ok: false, error: 'not running' };
      return {
        name: p.name,
        pid: p.pid,
        port: p.port,
        alive: running,
        healthy: h.ok,
        detail: h.status ?? h.error,
      };
    }),
  );
  const allGood = rows.every((r) => r.alive && r.healthy);
  if (o.json)
    console.log(
      JSON.stringify({ running: true, url: state.url, healthy: allGood, processes: rows }, null, 2),
    );
  else {
    console.log(`topology on ${state.url} since ${state.startedAt}`);
    for (const r of rows)
      console.log(
        `  ${r.name.padEnd(14)} pid ${String(r.pid).padEnd(8)} ${r.alive ? 'alive' : 'DEAD '}  ${r.healthy ? 'healthy' : `unhealthy (${r.detail})`}`,
      );
  }
  if (!allGood) process.exitCode = 1;
}

async function check(o) {
  const logDir = join(o.dir, 'logs');
  const nginxDir = join(o.dir, 'nginx-check');
  mkdirSync(logDir, { recursive: true });
  const edges = Array.from({ length: o.edges }, (_, i) => 9301 + i);
  writeNginxConf(root, { prefix: nginxDir, logDir, port: o.port || 8080, edges, api: 8090, web: 8088 });
  const output = await testNginxConf(nginxDir, logDir);
  console.log(output.trim() || 'nginx -t: ok');
}

try {
  const o = parseArgs(process.argv.slice(2), process.env, root);
  if (o.command === 'help') console.log(USAGE);
  else await { up, down, status, check }[o.command](o);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`topology: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`topology: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
