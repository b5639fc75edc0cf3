/**
 * Stands in for services/web/src/bundle.ts in the built server (scripts/build/server.mjs swaps it in): the
 * demo page's app.js is bundled once at build time into dist/web/, so the installed server needs neither
 * esbuild nor the page's TypeScript sources.
 */
import { readFile } from 'node:fs/promises';

export interface WebAssets {
  readonly appJs: string;
  readonly appJsMap: string;
}

/** The prebuilt app.js and app.js.map (the bundle files live one folder below dist/, as web/ does). */
export async function buildWebAssets(): Promise<WebAssets> {
  const [appJs, appJsMap] = await Promise.all([
    readFile(new URL('../web/app.js', import.meta.url), 'utf8'),
    readFile(new URL('../web/app.js.map', import.meta.url), 'utf8'),
  ]);
  return { appJs, appJsMap };
}
