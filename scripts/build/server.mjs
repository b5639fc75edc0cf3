// Builds @switchboard/server into packages/server/dist: bin/switchboard.js (the command), tiers/<tier>.js
// (each service's own entry point, unchanged: services/<tier>/src/main.ts), chunks/ (code they share),
// web/app.js (the demo page's browser bundle, built now instead of at every start) and public/ (its static
// files). Workspace code is bundled in; npm packages stay imports of the server's own dependencies, and the
// build fails when a bundle imports one that package.json does not list.
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { npmPackagesExternal, root } from './run.mjs';

const serverDir = join(root, 'packages/server');
const dist = join(serverDir, 'dist');
const webSrc = join(root, 'services/web/src');
const TIERS = ['standalone', 'edge', 'chat', 'history', 'presence', 'notifications', 'api', 'web'];

/** The demo page's app.js, built with the web service's own bundler settings (services/web/src/bundle.ts). */
async function buildWebApp() {
  const bundler = join(webSrc, 'bundle.ts');
  // Under the root's node_modules so that the compiled bundler finds esbuild; import.meta.url is pinned to
  // bundle.ts so that it finds the page's sources.
  const compiled = join(root, 'node_modules/.cache/switchboard-build/web-bundle.mjs');
  mkdirSync(dirname(compiled), { recursive: true });
  await build({
    entryPoints: [bundler],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: compiled,
    packages: 'external',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(bundler).href) },
    logLevel: 'silent',
  });
  const { buildWebAssets } = await import(`${pathToFileURL(compiled).href}?t=${Date.now()}`);
  await buildWebAssets(join(dist, 'web'));
  rmSync(compiled, { force: true });
}

/** In the built server, the web service's bundler is replaced by a reader of dist/web (see that file). */
const prebuiltWebAssets = {
  name: 'prebuilt-web-assets',
  setup(on) {
    on.onResolve({ filter: /^\.\/bundle\.js$/ }, (args) =>
      args.importer.startsWith(webSrc) ? { path: join(serverDir, 'src/prebuilt-web-assets.ts') } : undefined,
    );
  },
};

const packageOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

export async function buildServer() {
  rmSync(dist, { recursive: true, force: true });
  const manifest = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8'));
  const dependencies = Object.keys(manifest.dependencies ?? {});
  const entryPoints = { 'bin/switchboard': join(serverDir, 'src/cli.ts') };
  for (const tier of TIERS) entryPoints[`tiers/${tier}`] = join(root, 'services', tier, 'src/main.ts');
  const result = await build({
    entryPoints,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: dist,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    // Every bare import that is not a workspace package stays an import (checked against package.json below).
    plugins: [prebuiltWebAssets, npmPackagesExternal],
  });
  const builtins = new Set(builtinModules);
  const imported = new Set();
  for (const output of Object.values(result.metafile.outputs))
    for (const { path, external } of output.imports)
      if (external && !path.startsWith('node:') && !builtins.has(path)) imported.add(packageOf(path));
  const missing = [...imported].filter((name) => !dependencies.includes(name));
  if (missing.length)
    throw new Error(
      `packages/server/package.json: the server imports ${missing.join(', ')}; add them to its dependencies`,
    );
  chmodSync(join(dist, 'bin/switchboard.js'), 0o755);
  cpSync(join(root, 'services/web/public'), join(dist, 'public'), { recursive: true });
  await buildWebApp();
}
