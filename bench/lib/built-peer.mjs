/**
 * Switchboard peers run as built JavaScript, the way production runs the edge (`pnpm build` → plain
 * node; see scripts/build/server.mjs), not under tsx: tsx compiles every TypeScript module at start,
 * which made a restarted edge take seconds longer to listen and skewed the storm scenario (issue 17).
 * The peer file is bundled with its workspace code; npm packages stay imports, resolved from
 * @switchboard/server's node_modules (it lists every package the tiers use), so the output goes there.
 * Built once per bench run.
 */
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
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
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${basename(file).replace(/\.[cm]?[jt]s$/, '')}.mjs`);
  await build({
    entryPoints: [join(root, 'bench', file)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    plugins: [
      {
        name: 'npm-packages-external',
        setup(on) {
          on.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@switchboard/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return outfile;
}
