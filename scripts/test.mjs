#!/usr/bin/env node
// The one test command (README, CI): generated code is current, types check, lint is clean, then every
// vitest project runs, then the unit project again on Node 24 when that binary is there (test-node24.mjs).
// The last line is always the plain summary "N passed, N failed" of all runs, taken from vitest's JSON
// reports, so a run that tested nothing cannot pass for green.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNode24Leg } from './test-node24.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules/.bin', name);
const report = join(root, '.vitest-results.json');
const extraArgs = process.argv.slice(2);

function step(title, command, args) {
  console.log(`\n▶ ${title}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = result.status === 0;
  console.log(`${ok ? '✔' : '✘'} ${title} (${seconds} s)`);
  return ok;
}

const checks = [];
if (!extraArgs.length) {
  checks.push([
    'generated protocol code is current',
    step('check generated code', process.execPath, ['packages/protocol/scripts/gen.mjs', '--check']),
  ]);
  checks.push([
    'typecheck',
    step('typecheck (tsc --noEmit)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']),
  ]);
  checks.push(['lint', step('lint (biome)', bin('biome'), ['check', '.'])]);
  // The client SDK ships as built ESM + declarations: make sure that build keeps working.
  checks.push([
    'client SDK build',
    step('client SDK build (tsc -p packages/client/tsconfig.build.json)', bin('tsc'), [
      '-p',
      'packages/client/tsconfig.build.json',
    ]),
  ]);
}

rmSync(report, { force: true });
step('vitest', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extraArgs,
]);

function countReport(path) {
  if (!existsSync(path)) {
    console.error(`vitest wrote no JSON report (${path})`);
    return { passed: 0, failed: 1 };
  }
  const results = JSON.parse(readFileSync(path, 'utf8'));
  const passed = results.numPassedTests ?? 0;
  let failed = (results.numFailedTests ?? 0) + (results.numRuntimeErrorTestSuites ?? 0);
  // A file that failed to load has no failed tests but is a failure.
  for (const file of results.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed'))
      failed++;
  }
  return { passed, failed };
}

let { passed, failed } = countReport(report);
// The full command also runs the unit tests (and one integration file) on Node 24; its counts add up here.
if (!extraArgs.length) {
  const node24 = runNode24Leg(root, countReport);
  passed += node24.passed;
  failed += node24.failed;
}
for (const [name, ok] of checks) {
  if (!ok) {
    console.error(`check failed: ${name}`);
    failed++;
  }
}
if (passed === 0) console.error('no test passed: treating the run as failed');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
