// Builds the libraries: @switchboard/protocol, @switchboard/client (tsc) and @switchboard/publisher
// (esbuild ESM + CommonJS, declarations by tsc). Each dist/ is removed first, so nothing stale ships.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { root, runTool } from './run.mjs';

const pkg = (name) => join(root, 'packages', name);

function clean(dir) {
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
}

async function buildProtocol() {
  const dir = pkg('protocol');
  clean(dir);
  runTool('tsc', ['-p', join(dir, 'tsconfig.build.json')]);
  // The generated protobufjs module is JavaScript with its own declarations: tsc does not emit it.
  cpSync(join(dir, 'src/gen'), join(dir, 'dist/gen'), { recursive: true });
}

async function buildClient() {
  const dir = pkg('client');
  clean(dir);
  runTool('tsc', ['-p', join(dir, 'tsconfig.build.json')]);
}

/** Every .d.ts under `dir`, recursively. */
function declarations(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

async function buildPublisher() {
  const dir = pkg('publisher');
  clean(dir);
  // The bus is a private workspace package: bundled in. The protocol and the broker clients are npm
  // dependencies of the published package, loaded from node_modules (the broker clients only on use).
  const common = {
    entryPoints: [join(dir, 'src/index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    sourcesContent: true,
    logLevel: 'silent',
    external: ['amqplib', 'kafkajs', 'ioredis', 'protobufjs', 'protobufjs/*'],
  };
  // ESM: code splitting keeps each transport (and its broker client) in its own chunk, imported on use.
  await build({
    ...common,
    format: 'esm',
    splitting: true,
    outdir: join(dir, 'dist/esm'),
    external: [...common.external, '@switchboard/protocol'],
  });
  // CommonJS for backends that `require` it: one file, the ESM-only protocol bundled in.
  await build({ ...common, format: 'cjs', outfile: join(dir, 'dist/cjs/index.cjs') });
  runTool('tsc', ['-p', join(dir, 'tsconfig.build.json')]);
  // The publisher's declarations name the bus by package name; point them at the bus declarations emitted
  // beside them (the bus is not published).
  const types = join(dir, 'dist/types');
  for (const file of declarations(join(types, 'publisher'))) {
    const busIndex = relative(dirname(file), join(types, 'bus/src/index.js'));
    const text = readFileSync(file, 'utf8').replaceAll(
      /(from |import\()'@switchboard\/bus'/g,
      (_, head) => `${head}'${busIndex.startsWith('.') ? busIndex : `./${busIndex}`}'`,
    );
    writeFileSync(file, text);
  }
}

export async function buildPackages() {
  await buildProtocol();
  await buildClient();
  await buildPublisher();
}
