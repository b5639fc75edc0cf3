/**
 * Reads fields from the environment and records a problem instead of throwing, so that one start lists
 * everything wrong at once (an operator fixing one variable per restart is the failure this avoids). The
 * reader remembers every name it looked at, so that the `SWITCHBOARD_*` names it did not are reported as
 * unknown, and every older alias that was used, so that it can be reported as deprecated.
 */
import { ConfigError, type ConfigProblem } from './config-error.js';
import { boolean, type Env, type Field, FieldProblem, integer, list } from './fields.js';

export class EnvReader {
  readonly #env: Env;
  readonly #problems: ConfigProblem[] = [];
  readonly #names = new Set<string>();
  readonly #deprecated = new Map<string, string>();

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

  /** Older names that were used, each with the name that replaces it. */
  get deprecated(): ReadonlyMap<string, string> {
    return this.#deprecated;
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
    const chosen = set[0] ?? names[0];
    if (chosen !== names[0]) this.#deprecated.set(chosen, names[0]);
    return chosen;
  }

  /** The field's value, read from its variable or, when that is unset, from one of its aliases. */
  read<T>(field: Field<T>): T {
    // The current name wins when set; an older one is read only in its absence (an environment shared by
    // processes of different ages may well hold both).
    let variable = field.variable;
    if (this.raw(variable) === undefined)
      for (const alias of field.aliases ?? []) {
        if (this.raw(alias) === undefined) continue;
        this.#deprecated.set(alias, field.variable);
        variable = alias;
        break;
      }
    const raw = this.raw(variable);
    try {
      return field.parse(raw);
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      this.problem(variable, error.message);
      // Any value will do: check() throws before the result is used.
      return undefined as T;
    }
  }

  /** An integer, `min` 0 unless given; a wrong value is recorded and `fallback` returned. */
  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    return this.read(integer(name, { default: fallback, min: range.min ?? 0, max: range.max })) ?? fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    return this.read(boolean(name, { default: fallback })) ?? fallback;
  }

  /** Comma-separated, trimmed, empties dropped; unset (or blank) gives the fallback. */
  list(name: string, fallback: readonly string[]): readonly string[] {
    return this.read(list(name, { default: fallback }));
  }

  /** Throws one ConfigError with every problem recorded, if any. */
  check(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}
