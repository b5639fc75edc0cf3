// Runs in the scratch project: bundles browser-entry.js with the installed SDK as a web app would
// (esbuild: ESM, minified, browser platform) into browser-bundle.js.
import { build } from 'esbuild';

await build({
  entryPoints: ['browser-entry.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  platform: 'browser',
  outfile: 'browser-bundle.js',
  logLevel: 'warning',
});
