/**
 * A project outside the workspace that installed Switchboard the way a user does (issue 19): the publishable
 * packages are built (`pnpm build`), packed with `pnpm pack` and installed from the tarballs with plain
 * `npm`, with no workspace link. npm's cache (~/.npm) makes repeated runs fast.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PUBLISHABLE = ['protocol', 'client', 'publisher', 'server'];
/** Installed next to the tarballs: `ws` for the SDK in Node, esbuild to bundle it for the browser. */
const EXTRA = ['ws@8.23.0', 'esbuild@0.28.2'];

export interface ScratchProject {
  readonly dir: string;
  /** Runs `node <script> ...args` in the project; resolves with its stdout. */
  node(script: string, args: readonly string[]): Promise<string>;
  remove(): void;
}

async function step(what: string, file: string, args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${what} failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
  }
}

export async function createScratchProject(): Promise<ScratchProject> {
  await step('pnpm build', process.execPath, [join(ROOT, 'scripts/build.mjs')], ROOT);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-install-'));
  const packs = join(dir, 'packs');
  for (const name of PUBLISHABLE)
    await step(
      `pnpm pack ${name}`,
      'pnpm',
      ['pack', '--pack-destination', packs],
      join(ROOT, 'packages', name),
    );
  const tarballs = readdirSync(packs).map((file) => join(packs, file));
  if (tarballs.length !== PUBLISHABLE.length)
    throw new Error(`expected ${PUBLISHABLE.length} tarballs: ${tarballs}`);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'switchboard-install-check', private: true, type: 'module' }, null, 2),
  );
  cpSync(join(ROOT, 'test/install/scratch'), dir, { recursive: true });
  await step(
    'npm install',
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, ...EXTRA],
    dir,
  );
  return {
    dir,
    node: (script, args) => step(`node ${script}`, process.execPath, [join(dir, script), ...args], dir),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
