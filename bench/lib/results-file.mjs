/**
 * The record of a run: <out>/<scenario>-<YYYY-MM-DD>.json (scenario, date, the machine it ran on, the
 * options and every row) and an SVG bar chart next to it. The machine goes into every file because the
 * figures only mean something for the machine and the load they were measured on (bench/README.md).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { barChart } from './svg.mjs';

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100), // at the end of the run
  };
}

/**
 * `save(results, chart)` for one run: `cfg` (all of it but `out` is recorded as `options`), `scenario`,
 * `date` (the day in the file name, taken when the run started). `chart`: svg.mjs's barChart input.
 */
export function resultsWriter({ cfg, scenario, date }) {
  return function save(results, chart) {
    const file = join(cfg.out, `${scenario}-${date}.json`);
    const { out: _out, ...options } = cfg;
    writeFileSync(
      file,
      `${JSON.stringify({ scenario, date: new Date().toISOString(), machine: machine(), options, results }, null, 2)}\n`,
    );
    writeFileSync(file.replace(/\.json$/, '.svg'), barChart(chart));
    process.stdout.write(`\nwrote ${file} and ${file.replace(/\.json$/, '.svg')}\n`);
  };
}
