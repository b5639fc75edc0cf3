/**
 * Typed fields: one environment variable each, with how to turn its raw text into a value and the sentence
 * that tells an operator how to fix a wrong one. Every config reader of every process is built from these
 * (declaratively through `readServiceConfig`, or step by step through `EnvReader`), so the same kind of
 * mistake gets the same message everywhere.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** One variable: its name and how to turn its raw text (undefined when unset or blank) into a value. */
export interface Field<T> {
  readonly variable: string;
  /** Older names still read when `variable` is unset; using one is reported as a deprecation warning. */
  readonly aliases?: readonly string[];
  /** Returns the value, or throws FieldProblem with what is wrong and how to fix it. */
  parse(raw: string | undefined): T;
}

/** What is wrong with one variable's value and how to fix it (the variable is named by the caller). */
export class FieldProblem extends Error {}

type Options<T> = { readonly default: T; readonly optional?: never } | { readonly optional: true } | object;

export type Result<T, O> = O extends { default: unknown }
  ? T
  : O extends { optional: true }
    ? T | undefined
    : T;

interface Common {
  readonly aliases?: readonly string[];
}

function field<T, O extends Options<T> & Common>(
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
    ...(options.aliases ? { aliases: options.aliases } : {}),
    parse(raw) {
      if (raw === undefined || raw.trim() === '') {
        if (hasDefault) return fallback.default as Result<T, O>;
        if (fallback.optional) return undefined as Result<T, O>;
        throw new FieldProblem(`is required; set it to ${expected}`);
      }
      const value = convert(raw.trim());
      if (value === undefined)
        throw new FieldProblem(`"${raw.trim()}" is not ${expected}; set it to ${expected}${unsetHint}`);
      return value as Result<T, O>;
    },
  };
}

/** A field whose value must also pass `rule` (returns the problem, or undefined when the value is fine). */
export function refine<T>(inner: Field<T>, rule: (value: NonNullable<T>) => string | undefined): Field<T> {
  return {
    ...inner,
    parse(raw) {
      const value = inner.parse(raw);
      const problem = value === undefined || value === null ? undefined : rule(value as NonNullable<T>);
      if (problem) throw new FieldProblem(problem);
      return value;
    },
  };
}

export function integer<
  O extends Options<number> & Common & { readonly min?: number; readonly max?: number },
>(variable: string, options: O = {} as O): Field<Result<number, O>> {
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

export function string<O extends Options<string> & Common & { readonly pattern?: RegExp }>(
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

export function boolean<O extends Options<boolean> & Common>(variable: string, options: O = {} as O) {
  return field<boolean, O>(variable, options, 'true or false', (raw) => {
    const lower = raw.toLowerCase();
    return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
  });
}

export function oneOf<const V extends string, O extends Options<V> & Common>(
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
  O extends Options<string> &
    Common & {
      readonly protocols?: readonly string[];
      readonly literals?: readonly string[];
    },
>(variable: string, options: O = {} as O): Field<Result<string, O>> {
  const schemes = options.protocols?.map((p) => `${p}://…`) ?? ['a URL'];
  const expected = [...(options.literals ?? []), ...schemes].join(' or ');
  return field(variable, options, expected, (raw) => {
    if (options.literals?.includes(raw)) return raw;
    const schemes = urlListSchemes(raw);
    if (!schemes) return undefined;
    return !options.protocols || schemes.every((s) => options.protocols?.includes(s)) ? raw : undefined;
  });
}

/**
 * The schemes of a URL or of a list of them, undefined when any is not a URL. Lists are full URLs separated
 * by commas (`amqp://a,amqp://b`: nodes of a cluster) and/or host lists in one URL (`kafka://a:9092,b:9092`,
 * `redis+sentinel://s1:26379,s2:26379/primary`), which WHATWG URL parsing alone refuses: each host is
 * checked on its own.
 */
function urlListSchemes(raw: string): string[] | undefined {
  const schemes: string[] = [];
  for (const part of raw.split(/,(?=\s*[a-z][a-z0-9+.-]*:\/\/)/i)) {
    const match = /^\s*([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/i.exec(part);
    if (!match) return undefined;
    const [, prefix = '', userinfo = '', hosts = '', rest = ''] = match;
    for (const host of hosts.split(',')) {
      try {
        const parsed = new URL(`${prefix}${userinfo}${host.trim()}${rest}`);
        schemes.push(parsed.protocol.slice(0, -1));
      } catch {
        return undefined;
      }
    }
  }
  return schemes;
}

/** Comma-separated list, trimmed, empties dropped. */
export function list<O extends Options<readonly string[]> & Common>(variable: string, options: O = {} as O) {
  return field<readonly string[], O>(variable, options, 'a comma-separated list', (raw) =>
    Object.freeze(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  );
}
