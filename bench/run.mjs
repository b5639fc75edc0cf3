/**
 * `pnpm bench <scenario> [options]`: starts each peer, the load generator's client processes and the
 * publisher (each its own process), runs the scenario, prints a progress line and a final table, and writes
 * bench/results/<scenario>-<YYYY-MM-DD>.json plus an SVG chart next to it. See bench/README.md.
 *
 * This file only wires a run together; each job has its module under lib/: the command line (options),
 * the child processes (processes), the peers under test (peers), the client processes (clients), a
 * measured publishing step (publish-step), the output (terminal, results-file) and one module per
 * scenario, which gets the pieces bound to this run as `ctx`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { clientStarter } from './lib/clients.mjs';
import { readOptions } from './lib/options.mjs';
import { createPeers, JWT_SECRET } from './lib/peers.mjs';
import { procStat } from './lib/proc-cpu.mjs';
import { createProcesses, sleep } from './lib/processes.mjs';
import { publishStepper } from './lib/publish-step.mjs';
import { resultsWriter } from './lib/results-file.mjs';
import { endProgress, k, progress, table } from './lib/terminal.mjs';

/** Each scenario's module and entry point, loaded only for the scenario that runs. */
const SCENARIO_MODULES = {
  fanout: () => import('./lib/fanout.mjs').then((m) => m.fanoutScenario),
  connections: () => import('./lib/connections.mjs').then((m) => m.connectionsScenario),
  latency: () => import('./lib/latency.mjs').then((m) => m.latencyScenario),
  roundtrip: () => import('./lib/roundtrip.mjs').then((m) => m.roundtripScenario),
  storm: () => import('./lib/storm.mjs').then((m) => m.stormScenario),
};

const { scenario, cfg, clientProcs } = readOptions(process.argv.slice(2));
const date = new Date().toISOString().slice(0, 10);
mkdirSync(join(cfg.out, 'logs'), { recursive: true });
const { spawnProc, waitFor, stopProc, shutdown } = createProcesses(cfg);
process.on('SIGINT', () => void shutdown().finally(() => process.exit(130)));
const processes = { spawnProc, waitFor, stopProc };

const ctx = {
  cfg,
  scenario,
  clientProcs,
  ...processes,
  ...createPeers({ cfg, scenario, processes }),
  startClients: clientStarter({ cfg, scenario, clientProcs, processes }),
  publishStep: publishStepper(cfg),
  save: resultsWriter({ cfg, scenario, date }),
  jwtSecret: JWT_SECRET,
  sleep,
  procStat,
  progress,
  endProgress,
  table,
  k,
};

try {
  process.stderr.write(
    `bench ${scenario}: peers ${cfg.peers.join(', ')}; ${cfg.nodes} node(s); mode ${cfg.mode}\n`,
  );
  await (await SCENARIO_MODULES[scenario]())(ctx);
} finally {
  await shutdown();
}
process.exit(0);
