#!/usr/bin/env node
// `pnpm start`: Switchboard all-in-one (services/standalone) — the edge, every business service, the HTTP
// API and the demo page in one process, on the in-process bus with in-memory stores: no broker, no Redis.
// SWITCHBOARD_BUS=amqp://… or kafka://… and REDIS_URL=redis://… run the same process on real
// infrastructure. It binds 127.0.0.1 unless SWITCHBOARD_HOST says otherwise, and its demo routes
// (/dev/token, /api/orders, source maps) exist only in demo mode: by default on loopback without a
// configured key (see services/standalone/src/config.ts). SIGINT/SIGTERM are passed on; the process exits
// with the all-in-one's exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'services/standalone/src/main.ts');
const tsx = join(root, 'node_modules/.bin/tsx');
for (const [path, hint] of [
  [tsx, 'run `pnpm install` first'],
  [entry, 'is this a complete checkout?'],
]) {
  if (!existsSync(path)) {
    console.error(`${path} is missing: ${hint}`);
    process.exit(1);
  }
}
const env = { SWITCHBOARD_BUS: 'memory', ...process.env };
const child = spawn(tsx, [entry, ...process.argv.slice(2)], { stdio: 'inherit', env });
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
