/**
 * `readServiceConfig(env, spec)`: reads the environment once, applies named defaults, validates every
 * variable, and throws one ConfigError listing each problem with its variable and the fix; returns a
 * frozen object. Only a process's entry point calls it (libraries take typed options, never process.env).
 *
 *   const spec = {
 *     httpPort: integer('CHAT_HTTP_PORT', { default: 9101, min: 0, max: 65535 }),
 *     bus: busUrl(),
 *     logLevel: logLevel(),
 *   };
 *   const config = readServiceConfig(process.env, spec);
 *   for (const warning of configWarnings(process.env, spec, 'chat')) log.warn(warning);
 */
import type { ConfigProblem } from './config-error.js';
import { EnvReader } from './env-reader.js';
import type { Env, Field } from './fields.js';
import { unknownVariableWarnings } from './unknown-variables.js';

export type ConfigSpec = Readonly<Record<string, Field<unknown>>>;
export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

/** Reads every field of `spec` into `reader` (problems are recorded there, not thrown). */
export function readSpec<S extends ConfigSpec>(reader: EnvReader, spec: S): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(spec)) config[key] = reader.read(field);
  return config as ConfigOf<S>;
}

/**
 * Reads every field of `spec` from `env` (once), then runs `check` on the whole result for conflicts
 * between variables (return problems naming the variables). Throws ConfigError with every problem.
 */
export function readServiceConfig<S extends ConfigSpec>(
  env: Env,
  spec: S,
  check?: (config: ConfigOf<S>) => readonly ConfigProblem[] | undefined,
): ConfigOf<S> {
  const reader = new EnvReader(env);
  const config = readSpec(reader, spec);
  if (reader.problems.length === 0 && check)
    for (const p of check(config) ?? []) reader.problem(p.variable, p.problem);
  reader.check();
  return Object.freeze(config);
}

/** The variables (names and older aliases) a set of specs reads. */
export function specVariables(...specs: ConfigSpec[]): string[] {
  return specs.flatMap((spec) => Object.values(spec).flatMap((f) => [f.variable, ...(f.aliases ?? [])]));
}

/**
 * Start-up warnings of a process: each older variable name in use (with the name that replaces it), and
 * each `SWITCHBOARD_*` variable that is not a setting of this process (`known`: the specs it reads and any
 * further names). One sentence each, for the process to log.
 */
export function configWarnings(
  env: Env,
  known: Iterable<string> | ConfigSpec,
  processName: string,
): string[] {
  const names = isSpec(known) ? specVariables(known) : [...known];
  const deprecated = isSpec(known) ? Object.values(known).flatMap((f) => deprecationOf(env, f)) : [];
  return [...deprecated, ...unknownVariableWarnings(env, names, processName)];
}

/** The deprecation sentences of a reader (the aliases it had to fall back on). */
export function deprecationWarnings(reader: EnvReader): string[] {
  return [...reader.deprecated].map(
    ([old, current]) => `${old} is deprecated; set ${current} instead (${old} will stop being read)`,
  );
}

function deprecationOf(env: Env, field: Field<unknown>): string[] {
  if (!field.aliases?.length || env[field.variable]?.trim()) return [];
  const reader = new EnvReader(env);
  reader.read(field);
  return deprecationWarnings(reader);
}

function isSpec(value: Iterable<string> | ConfigSpec): value is ConfigSpec {
  return !(Symbol.iterator in (value as object));
}
