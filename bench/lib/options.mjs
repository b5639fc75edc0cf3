/**
 * The command line of `pnpm bench <scenario> [options]`: the usage text, the scenario and peer names, and
 * the options with their defaults. Kept apart from the runner so that what a run accepts (and writes into
 * its results JSON as `options`) can be read in one place. A bad command line prints the usage or a
 * message and exits here, before any process is started.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args } from './pub-driver.mjs';

const benchDir = fileURLToPath(new URL('..', import.meta.url));

export const SCENARIOS = ['fanout', 'connections', 'latency', 'roundtrip', 'storm'];
export const ALL_PEERS = [
  'ws-batched',
  'ws-naive',
  'socketio',
  'switchboard-memory',
  'switchboard-amqp',
  'switchboard-kafka',
  'switchboard-redis',
];

export const USAGE = `usage: pnpm bench <scenario> [options]

scenarios:
  fanout        one channel, N subscribers, 100-byte payload; publisher at max rate (credit flow) and fixed rates
  connections   idle connections: connect rate, CPU-µs per connect (server, broker, clients), RSS per connection
  latency       publish->deliver p50/p99/p999 at 25/50/75% of the peer's max rate
  roundtrip     client send -> service (Switchboard: chat + history) -> room fan-out
  storm         N clients reconnecting like the SDK; SIGKILL the server, restart: time to all ready again

common options:
  --peers a,b,...        ${ALL_PEERS.join(', ')} (default: all but kafka)
  --nodes N              server processes per peer (edge workers / Socket.IO nodes / ws servers), default 1
  --subscribers N        receivers (default 1000; connections: --connections)
  --duration S           measured seconds per step (default 10); --warmup S (default 2)
  --mode lean|verify     receivers: count frame headers only (default) or decode fully and check order
  --client-procs N       load-generator processes (default: ceil(connections / 15000), at least 1)
  --sources N            loopback source addresses 127.0.0.2 … (default 8)
  --amqp URL             default amqp://guest:guest@127.0.0.1:5672
  --redis URL            default redis://127.0.0.1:6379
  --kafka host:port      an existing broker (default: start the KRaft JVM of test/support/kafka-broker.ts)
  --profile              run server processes with --cpu-prof (profiles in bench/results/profiles/)
  --out DIR              results directory (default bench/results)
fanout:      --rates max,500,1000   (messages/s published; max = credit-limited)  --window N (max-rate credit)
connections: --connections N (default 10000) --concurrency N (per client process, default 64) --hold S (default 3)
             --jwt on|off|both (Switchboard clients present HS256 tokens; default both: a row each)
             --rounds N (every peer N times, interleaved; the summary gives medians and spreads)
latency:     --max-rate R (messages/s; default: measured first with a max run) --percents 25,50,75 --probe-every N (10)
             --repeat N (3: each rate measured N times; the table gives the median and the spread of the p99)
roundtrip:   --senders N (default 10) --rate R (sends/s in total, default 100)
storm:       --connections N (default 10000) --repeat N (runs per peer, default 3) --jwt on|off (Switchboard, default on)
`;

function fail(message) {
  process.stderr.write(`pnpm bench: ${message}\n`);
  process.exit(2);
}

const num = (v, d) => (v === undefined ? d : Number(v));

/**
 * `argv`: what follows `node run.mjs`. Returns the scenario, `cfg` (every option with its default; all of
 * it but `out` goes into the results JSON) and `clientProcs` (`--client-procs` as given, or undefined:
 * its default depends on the connection count of each step, so it is not part of `cfg`).
 */
export function readOptions(argv) {
  const opts = args(argv.slice(1));
  const scenario = argv[0];
  if (!scenario || !SCENARIOS.includes(scenario) || opts.help) {
    process.stderr.write(USAGE);
    process.exit(scenario && !SCENARIOS.includes(scenario) ? 2 : 1);
  }
  const cfg = {
    peers: (opts.peers ?? ALL_PEERS.filter((p) => p !== 'switchboard-kafka').join(',')).split(','),
    nodes: num(opts.nodes, 1),
    subscribers: num(opts.subscribers, 1000),
    connections: num(opts.connections, 10_000),
    duration: num(opts.duration, 10),
    warmup: num(opts.warmup, 2),
    mode: opts.mode ?? (scenario === 'latency' || scenario === 'roundtrip' ? 'peek' : 'lean'),
    sources: num(opts.sources, 8),
    perProc: num(opts['per-proc'], 15_000),
    concurrency: num(opts.concurrency, 64),
    hold: num(opts.hold, 3),
    jwt: opts.jwt ?? 'both',
    rounds: num(opts.rounds, 1),
    rates: (opts.rates ?? 'max').split(',').map((r) => (r === 'max' ? 'max' : Number(r))),
    window: opts.window ? Number(opts.window) : undefined,
    maxRate: opts['max-rate'] ? Number(opts['max-rate']) : undefined,
    percents: (opts.percents ?? '25,50,75').split(',').map(Number),
    probeEvery: num(opts['probe-every'], 10),
    repeat: num(opts.repeat, 3),
    senders: num(opts.senders, 10),
    rate: num(opts.rate, 100),
    amqp: opts.amqp ?? 'amqp://guest:guest@127.0.0.1:5672',
    redis: opts.redis ?? 'redis://127.0.0.1:6379',
    kafka: opts.kafka,
    profile: opts.profile === 'true',
    out: resolve(opts.out ?? join(benchDir, 'results')), // absolute: children (--cpu-prof-dir) run in bench/
  };
  for (const p of cfg.peers)
    if (!ALL_PEERS.includes(p)) fail(`unknown peer "${p}" (known: ${ALL_PEERS.join(', ')})`);
  if (cfg.mode === 'verify' && scenario !== 'fanout' && scenario !== 'latency') cfg.mode = 'peek';
  return { scenario, cfg, clientProcs: opts['client-procs'] };
}
