/**
 * The browser SDK's size budget (issue 19): `@switchboard/client` and `socket.io-client` bundled side by
 * side with the same esbuild options a web app would use (ESM, minified, browser platform), then gzipped.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface BundleSize {
  readonly minified: number;
  readonly gzipped: number;
  /** Files in the bundle (esbuild's metafile inputs). */
  readonly inputs: readonly string[];
}

/** Minified and gzipped size of a bundle of everything `specifier` exports, resolved from `resolveDir`. */
export async function bundleSize(specifier: string, resolveDir: string): Promise<BundleSize> {
  const result = await build({
    stdin: { contents: `export * from ${JSON.stringify(specifier)};`, resolveDir, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error(`esbuild produced no bundle of ${specifier}`);
  return {
    minified: code.length,
    gzipped: gzipSync(code, { level: 9 }).length,
    inputs: Object.keys(result.metafile.inputs),
  };
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
