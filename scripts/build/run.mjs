// Shared by the build steps: the workspace root, running a tool of node_modules/.bin, and the esbuild
// plugin that bundles workspace code but leaves npm packages as imports.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `node_modules/.bin/<tool> ...args` from the root; throws with the tool's output when it fails. */
export function runTool(tool, args) {
  try {
    execFileSync(join(root, 'node_modules/.bin', tool), args, { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    throw new Error(`${tool} ${args.join(' ')} failed:\n${output}`);
  }
}

/** esbuild plugin: every bare import that is not a workspace package (`@switchboard/…`) stays an import. */
export const npmPackagesExternal = {
  name: 'npm-packages-external',
  setup(on) {
    on.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@switchboard/') ? undefined : { path: args.path, external: true },
    );
  },
};
