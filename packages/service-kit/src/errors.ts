/**
 * Error catalogue of the service kit. Codes are stable (`SB_ERR_SERVICE_*`); each is a SwitchboardError
 * (see @switchboard/runtime/errors). Config problems are the runtime's ConfigError (`SB_ERR_CONFIG`).
 */
import { ErrorCodes, type ErrorSpec, SwitchboardError } from '@switchboard/runtime/errors';

function spec(code: `SB_ERR_SERVICE_${string}`, message: string): ErrorSpec {
  return { code, wire: ErrorCodes.Internal.wire, message, temporary: false, http: 500 };
}

export const ServiceKitErrors = {
  /** `defineService` options that cannot work (bad name, bad port, …). */
  BadOptions: spec('SB_ERR_SERVICE_BAD_OPTIONS', 'bad service options'),
  /** A handler registered twice for one type, or after start(). */
  BadHandler: spec('SB_ERR_SERVICE_BAD_HANDLER', 'bad handler registration'),
  /** start() after stop(), or start() twice. */
  BadState: spec('SB_ERR_SERVICE_BAD_STATE', 'bad service state'),
} as const;

/** The stable codes, by name (`ServiceKitErrorCodes.BadState === 'SB_ERR_SERVICE_BAD_STATE'`). */
export const ServiceKitErrorCodes = {
  BadOptions: 'SB_ERR_SERVICE_BAD_OPTIONS',
  BadHandler: 'SB_ERR_SERVICE_BAD_HANDLER',
  BadState: 'SB_ERR_SERVICE_BAD_STATE',
} as const satisfies { [K in keyof typeof ServiceKitErrors]: string };

export type ServiceKitErrorCode = (typeof ServiceKitErrorCodes)[keyof typeof ServiceKitErrorCodes];

export class ServiceKitError extends SwitchboardError {
  declare readonly code: ServiceKitErrorCode;

  constructor(code: ServiceKitErrorCode, message: string, options?: { cause?: unknown }) {
    const name = (Object.keys(ServiceKitErrorCodes) as (keyof typeof ServiceKitErrors)[]).find(
      (key) => ServiceKitErrorCodes[key] === code,
    );
    super(ServiceKitErrors[name ?? 'BadOptions'], undefined, options);
    this.name = 'ServiceKitError';
    this.message = message;
  }
}
