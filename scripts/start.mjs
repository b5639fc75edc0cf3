#!/usr/bin/env node
// `pnpm start`: Switchboard all-in-one (services/standalone) — the edge, every business service, the HTTP
// API and the demo page in one process, on the in-process bus with in-memory stores: no broker, no Redis.
// SWITCHBOARD_BUS=amqp://… or kafka://… and REDIS_URL=redis://… run the same process on real
// infrastructure. It binds 127.0.0.1 unless SWITCHBOARD_HOST says otherwise, and its demo routes
// (/dev/token, /api/orders, source maps) exist only in demo mode: by default on loopback without a
// configured key (see services/standalone/src/config.ts). It runs the built server (@switchboard/server,
// `switchboard start`) with plain node, building it first (about a second) when the sources changed since.
// SIGINT/SIGTERM are passed on; the process exits with the all-in-one's exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_BIN, serverBuildIsStale } from './build/freshness.mjs';
import { root } from './build/run.mjs';

if (!existsSync(join(root, 'node_modules/esbuild'))) {
  console.error('node_modules/esbuild is missing: run `pnpm install` first');
  process.exit(1);
}
if (serverBuildIsStale()) {
  const { buildServer } = await import('./build/server.mjs');
  try {
    await buildServer();
  } catch (error) {
    console.error(`building packages/server failed: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
const env = { SWITCHBOARD_BUS: 'memory', ...process.env };
const child = spawn(process.execPath, [SERVER_BIN, 'start', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
});
let forwarded = false;
const forward = (signal) => {
  if (forwarded) return;
  forwarded = true;
  child.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => forward(signal));
// pnpm exits on SIGTERM without passing it on: when our parent goes away, stop the all-in-one cleanly.
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid !== parent) forward('SIGTERM');
}, 500);
watch.unref();
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
