#!/usr/bin/env node
// `pnpm start`: the embedded all-in-one on the in-process bus (no broker needed). Today that is the edge
// node alone on the memory bus; business services join it as their issues land (services/standalone).
// SWITCHBOARD_BUS=amqp://… or kafka://… runs the same process against a real broker.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const standalone = join(root, 'services/standalone/src/main.ts');
const entry = existsSync(standalone) ? standalone : join(root, 'services/edge/src/main.ts');
const tsx = join(root, 'node_modules/.bin/tsx');
const env = { SWITCHBOARD_BUS: 'memory', ...process.env };
const child = spawn(tsx, [entry, ...process.argv.slice(2)], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
