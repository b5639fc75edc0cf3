// Whether packages/server/dist is older than the sources it is built from, so that `pnpm start` rebuilds it
// only after a change (a rebuild replaces the chunks a running server may still load).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './run.mjs';

export const SERVER_BIN = join(root, 'packages/server/dist/bin/switchboard.js');

function newestIn(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  return newest;
}

export function serverBuildIsStale() {
  if (!existsSync(SERVER_BIN)) return true;
  const built = statSync(SERVER_BIN).mtimeMs;
  const sources = ['packages', 'services']
    .flatMap((top) => readdirSync(join(root, top)).map((name) => join(root, top, name)))
    .flatMap((dir) => [join(dir, 'src'), join(dir, 'public'), join(dir, 'package.json')])
    .concat([join(root, 'proto'), join(root, 'scripts/build')]);
  return sources.some(
    (path) =>
      existsSync(path) && (statSync(path).isDirectory() ? newestIn(path) : statSync(path).mtimeMs) > built,
  );
}
