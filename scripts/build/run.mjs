// Shared by the build steps: the workspace root, and running a tool of node_modules/.bin.
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
