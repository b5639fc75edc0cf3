#!/usr/bin/env node
// `pnpm build`: every publishable package into its dist/ — @switchboard/protocol and @switchboard/client
// (tsc: one ESM file per source, .d.ts, source maps), @switchboard/publisher (esbuild: ESM and CommonJS,
// the private bus bundled in) and @switchboard/server (esbuild: the `switchboard` command and one bundle
// per tier, the demo page prebuilt). Production runs these files with plain node (pnpm start, the Docker
// image, the installed packages); the workspace's tests and dev scripts keep running the TypeScript sources.
import { buildPackages } from './build/packages.mjs';
import { buildServer } from './build/server.mjs';

// `pnpm build server` builds only the server (esbuild, about a second): what `pnpm start` needs.
const only = process.argv[2];
if (only !== undefined && only !== 'server') {
  console.error(`usage: pnpm build [server]`);
  process.exit(2);
}
const started = Date.now();
try {
  if (only === undefined) await buildPackages();
  await buildServer();
  const what = only === undefined ? 'protocol, client, publisher and server' : 'server';
  console.log(`built ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
