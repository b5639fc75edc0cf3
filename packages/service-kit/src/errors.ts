/** Error catalogue of the service kit. Codes are stable (`SB_ERR_SERVICE_*`, `SB_ERR_CONFIG`). */

export const ServiceKitErrorCodes = {
  /** One or more environment variables are missing or invalid. */
  Config: 'SB_ERR_CONFIG',
  /** `defineService` options that cannot work (bad name, bad port, …). */
  BadOptions: 'SB_ERR_SERVICE_BAD_OPTIONS',
  /** A handler registered twice for one type, or after start(). */
  BadHandler: 'SB_ERR_SERVICE_BAD_HANDLER',
  /** start() after stop(), or start() twice. */
  BadState: 'SB_ERR_SERVICE_BAD_STATE',
} as const;

export type ServiceKitErrorCode = (typeof ServiceKitErrorCodes)[keyof typeof ServiceKitErrorCodes];

export class ServiceKitError extends Error {
  readonly code: ServiceKitErrorCode;

  constructor(code: ServiceKitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceKitError';
    this.code = code;
  }
}

export interface ConfigProblem {
  /** The environment variable at fault. */
  readonly variable: string;
  /** What is wrong and how to fix it. */
  readonly problem: string;
}

/** Every problem found in the environment, each naming its variable and the fix, one per line. */
export class ConfigError extends ServiceKitError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      ServiceKitErrorCodes.Config,
      `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
