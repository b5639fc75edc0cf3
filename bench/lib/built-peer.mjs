/**
 * Switchboard peers run as built JavaScript, the way production runs the edge (`pnpm build` → plain
 * node; see scripts/build/server.mjs), not under tsx: tsx compiles every TypeScript module at start,
 * which made a restarted edge take seconds longer to listen and skewed the storm scenario (issue 17).
 * The peer file is bundled with its workspace code; npm packages stay imports, resolved from
 * @switchboard/server's node_modules (it lists every package the tiers use), so the output goes there.
 * Split into chunks like the server build, so that the bus a peer does not use (kafkajs, ioredis behind
 * connectBus's dynamic imports) is not loaded at start. Built once per bench run.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { npmPackagesExternal, root } from '../../scripts/build/run.mjs';

const outDir = join(root, 'packages/server/node_modules/.cache/switchboard-bench');
const built = new Map();

/** The absolute path of `file` (relative to bench/) bundled; builds it on first use. */
export function builtPeer(file) {
  let path = built.get(file);
  if (!path) {
    path = bundle(file);
    built.set(file, path);
  }
  return path;
}

async function bundle(file) {
  const name = basename(file).replace(/\.[cm]?[jt]s$/, '');
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: { [name]: join(root, 'bench', file) },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
    plugins: [npmPackagesExternal],
  });
  return join(dir, `${name}.mjs`);
}
