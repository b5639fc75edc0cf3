/**
 * Unknown `SWITCHBOARD_*` variables: a misspelt setting (`SWITCHBOARD_ALLOWED_ORIGIN`) is otherwise silently
 * ignored and the process runs with the default — for an allow-list, with none. Reported as warnings (not
 * errors) so that one environment can be shared by several processes and tools.
 */
import { TRACING_VARIABLE } from '../tracing.js';

/**
 * Names that Switchboard's tools (tests, the CLI, docker-compose, CI) read from the same shell: never
 * reported, whichever process starts.
 */
export const TOOLING_VARIABLES: readonly string[] = Object.freeze([
  'SWITCHBOARD_TEST_BROKERS',
  'SWITCHBOARD_RABBITMQ_IMAGE',
  'SWITCHBOARD_KAFKA_IMAGE',
  'SWITCHBOARD_REDIS_IMAGE',
  'SWITCHBOARD_CHROMIUM',
  'SWITCHBOARD_DEBIAN_MIRROR',
  'SWITCHBOARD_VERSION',
  'SWITCHBOARD_HTTP_PORT',
  'SWITCHBOARD_API_URL',
  'SWITCHBOARD_API_KEY',
  // the test command and the security suite
  'SWITCHBOARD_NODE24',
  'SWITCHBOARD_FUZZ_SEED',
  'SWITCHBOARD_FUZZ_FRAMES',
  // the PHP and Python examples (examples/, test/examples)
  'SWITCHBOARD_AMQP_URL',
  'SWITCHBOARD_KAFKA_BROKERS',
  'SWITCHBOARD_REDIS_URL',
  'SWITCHBOARD_WS_URL',
  'SWITCHBOARD_PROTO_OUT',
  'SWITCHBOARD_PROTO_DIR',
  'SWITCHBOARD_PYTHON',
  'SWITCHBOARD_PHP_GEN',
  'SWITCHBOARD_CONSUMER',
]);

/** Settings the runtime itself reads in every process (not part of any one process's config spec). */
export const RUNTIME_VARIABLES: readonly string[] = Object.freeze([TRACING_VARIABLE]);

/** Edit distance (insert, delete, substitute), for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}

export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * One warning per `SWITCHBOARD_*` variable of `env` that is neither in `known` (what this process reads)
 * nor a tooling variable, naming the closest known setting.
 */
export function unknownVariableWarnings(
  env: Readonly<Record<string, string | undefined>>,
  known: Iterable<string>,
  processName: string,
): string[] {
  const settings = new Set(known);
  const ignored = new Set([...settings, ...TOOLING_VARIABLES, ...RUNTIME_VARIABLES]);
  return Object.keys(env)
    .filter((name) => name.startsWith('SWITCHBOARD_') && !ignored.has(name))
    .sort()
    .map((name) => {
      const closest = closestName(name, settings);
      return `${name} is not a setting of ${processName} and is ignored${closest ? `; did you mean ${closest}?` : ''}`;
    });
}
