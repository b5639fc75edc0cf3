/**
 * HTTP errors of the API: the runtime's HttpError (a SwitchboardError whose spec gives the status and the
 * stable `SB_ERR_*` code), with the helpers the validators use. The message says what to fix.
 */
import { ErrorCodes, HttpError } from '@switchboard/runtime';

export { HttpError } from '@switchboard/runtime';

/** 400 naming the field: `<field>: <problem>`. */
export function badField(field: string, problem: string): HttpError {
  return new HttpError(ErrorCodes.BadRequest, `${field}: ${problem}`, { field });
}

export function badRequest(message: string): HttpError {
  return new HttpError(ErrorCodes.BadRequest, message);
}
