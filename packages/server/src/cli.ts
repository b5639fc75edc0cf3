#!/usr/bin/env node
/**
 * `switchboard`: the command of @switchboard/server. `switchboard start` runs the all-in-one as `pnpm start`
 * does in a clone; `switchboard edge|chat|history|presence|notifications|api|web` runs one tier of the
 * production topology; `--help` after any of them says what it starts and which settings it reads. The
 * tier's own entry point runs in this process (its argv is left as given, so `edge --workers N` forks
 * workers that run this same command).
 */
import { readFileSync } from 'node:fs';
import { TIERS } from './tiers.js';

const EXIT_USAGE = 2;

function usage(): string {
  const width = Math.max(...Object.keys(TIERS).map((name) => name.length));
  const lines = Object.entries(TIERS).map(([name, tier]) => `  ${name.padEnd(width)}  ${tier.summary}`);
  return `usage: switchboard <command> [--help]

Commands:
${lines.join('\n')}

switchboard <command> --help tells what a command starts and the settings it reads (environment variables).`;
}

const BUILT = import.meta.url.endsWith('.js');

function version(): string {
  // dist/bin/switchboard.js when built, src/cli.ts in the workspace.
  const manifest = new URL(BUILT ? '../../package.json' : '../package.json', import.meta.url);
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The tier's entry module: the bundle dist/tiers/<entry>.js when built, the service's TypeScript entry when
 * this file runs from the workspace's sources (tests, tsx).
 */
function entryUrl(entry: string): URL {
  return new URL(BUILT ? `../tiers/${entry}.js` : `../../../services/${entry}/src/main.ts`, import.meta.url);
}

async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage());
    return command === undefined ? EXIT_USAGE : 0;
  }
  if (command === '--version' || command === '-v') {
    console.log(version());
    return 0;
  }
  const tier = Object.hasOwn(TIERS, command) ? TIERS[command] : undefined;
  if (!tier) {
    console.error(`switchboard: unknown command "${command}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`switchboard ${command}: ${tier.summary}\n\n${tier.help}`);
    return 0;
  }
  // As `pnpm start`: the all-in-one needs no broker unless told otherwise.
  if (command === 'start') process.env.SWITCHBOARD_BUS ??= 'memory';
  await import(entryUrl(tier.entry).href);
  return undefined;
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
