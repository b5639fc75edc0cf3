/**
 * `readServiceConfig(env, spec)`: reads the environment once, applies named defaults, validates every
 * variable, and throws one ConfigError listing each problem with its variable and the fix; returns a
 * frozen object. Only a service's entry point calls it (libraries take typed options, never process.env).
 *
 *   const config = readServiceConfig(process.env, {
 *     httpPort: integer('CHAT_HTTP_PORT', { default: 9101, min: 0, max: 65535 }),
 *     bus: url('SWITCHBOARD_BUS', { default: 'memory', protocols: ['amqp', 'amqps', 'kafka'], literals: ['memory'] }),
 *     logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
 *     redisUrl: url('REDIS_URL', { protocols: ['redis', 'rediss'], optional: true }),
 *   });
 *   config.httpPort; // number
 */
import { ConfigError, type ConfigProblem } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** One variable: its name and how to turn its raw text (undefined when unset or empty) into a value. */
export interface Field<T> {
  readonly variable: string;
  /** Returns the value, or throws FieldProblem with what is wrong and how to fix it. */
  parse(raw: string | undefined): T;
}

type Options<T> = { readonly default: T; readonly optional?: never } | { readonly optional: true } | object;

type Result<T, O> = O extends { default: unknown } ? T : O extends { optional: true } ? T | undefined : T;

class FieldProblem extends Error {}

function field<T, O extends Options<T>>(
  variable: string,
  options: O,
  expected: string,
  convert: (raw: string) => T | undefined,
): Field<Result<T, O>> {
  const fallback = options as { default?: T; optional?: boolean };
  const hasDefault = 'default' in fallback;
  const unsetHint = hasDefault ? `, or unset it for the default ${JSON.stringify(fallback.default)}` : '';
  return {
    variable,
    parse(raw) {
      if (raw === undefined || raw.trim() === '') {
        if (hasDefault) return fallback.default as Result<T, O>;
        if (fallback.optional) return undefined as Result<T, O>;
        throw new FieldProblem(`is required; set it to ${expected}`);
      }
      const value = convert(raw.trim());
      if (value === undefined)
        throw new FieldProblem(`"${raw}" is not ${expected}; set it to ${expected}${unsetHint}`);
      return value as Result<T, O>;
    },
  };
}

export function integer<O extends Options<number> & { readonly min?: number; readonly max?: number }>(
  variable: string,
  options: O = {} as O,
): Field<Result<number, O>> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const range =
    options.min !== undefined && options.max !== undefined
      ? ` between ${min} and ${max}`
      : options.min !== undefined
        ? ` >= ${min}`
        : options.max !== undefined
          ? ` <= ${max}`
          : '';
  return field(variable, options, `an integer${range}`, (raw) => {
    if (!/^[-+]?\d+$/.test(raw)) return undefined;
    const value = Number(raw);
    return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
  });
}

export function string<O extends Options<string> & { readonly pattern?: RegExp }>(
  variable: string,
  options: O = {} as O,
): Field<Result<string, O>> {
  const expected = options.pattern ? `a string matching ${options.pattern}` : 'a non-empty string';
  return field(variable, options, expected, (raw) =>
    !options.pattern || options.pattern.test(raw) ? raw : undefined,
  );
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function boolean<O extends Options<boolean>>(variable: string, options: O = {} as O) {
  return field<boolean, O>(variable, options, 'true or false', (raw) => {
    const lower = raw.toLowerCase();
    return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
  });
}

export function oneOf<const V extends string, O extends Options<V>>(
  variable: string,
  values: readonly V[],
  options: O = {} as O,
): Field<Result<V, O>> {
  return field(variable, options, `one of ${values.join(', ')}`, (raw) =>
    (values as readonly string[]).includes(raw) ? (raw as V) : undefined,
  );
}

/**
 * A URL whose scheme is one of `protocols` (without the colon), or one of the plain `literals` (e.g.
 * `memory` for the embedded bus). Kafka-style lists (`kafka://a:9092,b:9092`) are URLs too.
 */
export function url<
  O extends Options<string> & {
    readonly protocols?: readonly string[];
    readonly literals?: readonly string[];
  },
>(variable: string, options: O = {} as O): Field<Result<string, O>> {
  const schemes = options.protocols?.map((p) => `${p}://…`) ?? ['a URL'];
  const expected = [...(options.literals ?? []), ...schemes].join(' or ');
  return field(variable, options, expected, (raw) => {
    if (options.literals?.includes(raw)) return raw;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return undefined;
    }
    const scheme = parsed.protocol.slice(0, -1);
    return !options.protocols || options.protocols.includes(scheme) ? raw : undefined;
  });
}

/** Comma-separated list, trimmed, empties dropped. */
export function list<O extends Options<readonly string[]>>(variable: string, options: O = {} as O) {
  return field<readonly string[], O>(variable, options, 'a comma-separated list', (raw) =>
    Object.freeze(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  );
}

export type ConfigSpec = Readonly<Record<string, Field<unknown>>>;
export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

/**
 * Reads every field of `spec` from `env` (once), then runs `check` on the whole result for conflicts
 * between variables (return problems naming the variables). Throws ConfigError with every problem.
 */
export function readServiceConfig<S extends ConfigSpec>(
  env: Env,
  spec: S,
  check?: (config: ConfigOf<S>) => readonly ConfigProblem[] | undefined,
): ConfigOf<S> {
  const problems: ConfigProblem[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(spec)) {
    try {
      config[key] = f.parse(env[f.variable]);
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      problems.push({ variable: f.variable, problem: error.message });
    }
  }
  if (problems.length === 0 && check) problems.push(...(check(config as ConfigOf<S>) ?? []));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config) as ConfigOf<S>;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `SWITCHBOARD_BUS`: `memory` or a broker URL `connectBus` accepts. Defined once so that every service
 * accepts the same buses.
 */
export function busUrl() {
  return url('SWITCHBOARD_BUS', {
    default: 'memory',
    protocols: ['amqp', 'amqps', 'kafka', 'redis', 'rediss'],
    literals: ['memory'],
  });
}

/** `REDIS_URL`: optional; service stores use Redis when it is set, memory otherwise. */
export function redisUrl() {
  return url('REDIS_URL', { protocols: ['redis', 'rediss'], optional: true });
}
