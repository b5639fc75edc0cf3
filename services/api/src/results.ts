/**
 * Service answers (Delivery bodies) as JSON for HTTP clients. Payloads are shown as JSON when they parse,
 * as text when they are UTF-8, and as base64 (`dataBase64`) otherwise. A service `error` answer becomes an
 * HTTP error with the catalogue code of its wire code.
 */
import {
  type Delivery,
  ErrorCodes,
  type ErrorSpec,
  errorByWire,
  type switchboard,
} from '@switchboard/protocol';
import { HttpError } from './errors.js';

type IClientInfo = switchboard.v1.IClientInfo;
type IPublication = switchboard.v1.IPublication;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** uint64 fields decode as number or Long: both print their decimal value. */
const toNumber = (value: unknown): number => (value == null ? 0 : Number(String(value)));

export function decodeData(bytes: Uint8Array | null | undefined, field = 'data'): Record<string, unknown> {
  if (!bytes || bytes.length === 0) return {};
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { [`${field}Base64`]: Buffer.from(bytes).toString('base64') };
  }
  try {
    return { [field]: JSON.parse(text) };
  } catch {
    return { [field]: text };
  }
}

function client(info: IClientInfo): Record<string, unknown> {
  return {
    userId: info.userId ?? '',
    connectionId: info.connectionId ?? '',
    ...decodeData(info.info, 'info'),
  };
}

function publication(p: IPublication): Record<string, unknown> {
  return {
    offset: toNumber(p.offset),
    epoch: p.epoch ?? '',
    type: p.type ?? '',
    ...decodeData(p.payload),
    timeMs: toNumber(p.timeMs),
    ...(p.from ? { from: client(p.from) } : {}),
  };
}

/**
 * A service's answer carries its catalogue spec and so its status; a service's own failure (any other 5xx)
 * is a bad gateway from the API's side.
 */
function statusOf(spec: ErrorSpec | undefined): number {
  const status = spec?.http ?? 502;
  return status >= 500 && status !== 503 && status !== 504 ? 502 : status;
}

/** Throws the HTTP form of an `error` answer; returns otherwise. */
export function throwIfError(delivery: Delivery, service: string): void {
  if (delivery.body !== 'error') return;
  const error = delivery.error;
  const spec = errorByWire(error?.code ?? 0);
  throw new HttpError(
    spec ?? ErrorCodes.ServiceError,
    error?.message || spec?.message || `${service} service failed`,
    {
      status: statusOf(spec),
    },
  );
}

export function presenceJson(delivery: Delivery): Record<string, unknown> {
  throwIfError(delivery, 'presence');
  if (delivery.body !== 'presence' || !delivery.presence)
    throw new HttpError(
      ErrorCodes.ServiceError,
      `presence service answered with ${delivery.body ?? 'nothing'}`,
    );
  const { channel, clients } = delivery.presence;
  return { channel: channel ?? '', clients: (clients ?? []).map(client) };
}

export function historyJson(delivery: Delivery): Record<string, unknown> {
  throwIfError(delivery, 'history');
  if (delivery.body !== 'history' || !delivery.history)
    throw new HttpError(
      ErrorCodes.ServiceError,
      `history service answered with ${delivery.body ?? 'nothing'}`,
    );
  const { channel, position, publications } = delivery.history;
  return {
    channel: channel ?? '',
    position: { offset: toNumber(position?.offset), epoch: position?.epoch ?? '' },
    publications: (publications ?? []).map(publication),
  };
}
