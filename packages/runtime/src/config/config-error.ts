/** The one ConfigError of every process: each problem names its variable and the fix, one per line. */
import { SwitchboardError } from '@switchboard/protocol';
import { RuntimeErrorCodes } from '../errors.js';

export interface ConfigProblem {
  /** The environment variable (or command-line flag) at fault. */
  readonly variable: string;
  /** What is wrong and how to fix it. */
  readonly problem: string;
}

export class ConfigError extends SwitchboardError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(RuntimeErrorCodes.Config);
    this.name = 'ConfigError';
    this.message = `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n')}`;
    this.problems = problems;
  }
}
