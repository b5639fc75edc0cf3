/**
 * Bundles the browser code (src/app/main.ts, with the client SDK and protobufjs) into one ESM file with
 * esbuild. Fast (well under a second), so servers can build it at start; by default in memory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface WebAssets {
  /** The bundle, ending with `//# sourceMappingURL=app.js.map`. */
  readonly appJs: string;
  readonly appJsMap: string;
}

const ENTRY = fileURLToPath(new URL('./app/main.ts', import.meta.url));

/** Builds app.js (and app.js.map); also writes both into `outDir` when given. */
export async function buildWebAssets(outDir?: string): Promise<WebAssets> {
  const virtualDir = outDir ?? join(dirname(ENTRY), '..', '..', 'dist');
  const outfile = join(virtualDir, 'app.js');
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'linked',
    minify: true,
    legalComments: 'none',
    // The SDK imports 'ws' only dynamically, and only when there is no global WebSocket: never in a browser.
    external: ['ws'],
    outfile,
    write: false,
    logLevel: 'silent',
  });
  let appJs: string | undefined;
  let appJsMap: string | undefined;
  for (const file of result.outputFiles) {
    if (file.path.endsWith('.js.map')) appJsMap = file.text;
    else if (file.path.endsWith('.js')) appJs = file.text;
  }
  if (appJs === undefined || appJsMap === undefined) throw new Error('esbuild produced no app.js');
  if (outDir) {
    await mkdir(outDir, { recursive: true });
    await Promise.all([writeFile(outfile, appJs), writeFile(`${outfile}.map`, appJsMap)]);
  }
  return { appJs, appJsMap };
}
