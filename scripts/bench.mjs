#!/usr/bin/env node
// Placeholder until the benchmark issue lands: says so and fails, so nobody mistakes it for a result.
console.error('pnpm bench: not yet — the load generator and peers arrive with the benchmark issue (bench/).');
process.exit(1);
