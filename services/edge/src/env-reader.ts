/**
 * Typed getters over the environment that record a problem instead of throwing, so that one start lists
 * everything wrong at once (an operator fixing one variable per restart is the failure this avoids). The
 * reader also remembers every name it looked at: config.ts reports the `SWITCHBOARD_*` names it did not.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  /** The environment variable at fault. */
  readonly variable: string;
  /** What is wrong and how to fix it. */
  readonly problem: string;
}

/** Every problem found in the environment, one per line, each naming its variable and the fix. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export class EnvReader {
  readonly #env: Env;
  readonly #problems: ConfigProblem[] = [];
  readonly #names = new Set<string>();

  constructor(env: Env) {
    this.#env = env;
  }

  /** Every variable name read so far (set or not). */
  get names(): ReadonlySet<string> {
    return this.#names;
  }

  get problems(): readonly ConfigProblem[] {
    return this.#problems;
  }

  problem(variable: string, problem: string): void {
    this.#problems.push({ variable, problem });
  }

  /** The trimmed value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    this.#names.add(name);
    const value = this.#env[name]?.trim();
    return value ? value : undefined;
  }

  /**
   * The one name of `names` (a setting and its older aliases) that is set, or the first name when none is.
   * Two of them set to different values is a problem: which one wins would be a guess.
   */
  pick(...names: [string, ...string[]]): string {
    const set = names.filter((name) => this.raw(name) !== undefined);
    const values = new Set(set.map((name) => this.raw(name)));
    if (values.size > 1)
      this.problem(
        set[0]!,
        `conflicts with ${set.slice(1).join(', ')}; set only ${names[0]} (the others are older names)`,
      );
    return set[0] ?? names[0];
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (/^[-+]?\d+$/.test(raw) && Number.isSafeInteger(value) && value >= min && value <= max) return value;
    const bounds = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    this.problem(
      name,
      `"${raw}" is not an integer ${bounds}; fix it, or unset it for the default ${fallback}`,
    );
    return fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    this.problem(
      name,
      `"${raw}" is not a boolean; use true or false, or unset it for the default ${fallback}`,
    );
    return fallback;
  }

  /** Comma-separated, trimmed, empties dropped; unset (or blank) gives the fallback. */
  list(name: string, fallback: readonly string[]): readonly string[] {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** Throws one ConfigError with every problem recorded, if any. */
  check(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}
