#!/usr/bin/env node
// `pnpm bench <scenario> [options]`: the load generator and peers live in bench/ (see bench/README.md).
// Without a scenario it prints the usage and exits 1.
await import('../bench/run.mjs');
