/**
 * Service answers (Delivery bodies) as JSON for HTTP clients. Payloads are shown as JSON when they parse,
 * as text when they are UTF-8, and as base64 (`dataBase64`) otherwise. A service `error` answer becomes an
 * HTTP error with the catalogue code of its wire code.
 */
import { type Delivery, errorByWire, type switchboard } from '@switchboard/protocol';
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

const STATUS: Readonly<Record<string, number>> = {
  SB_ERR_BAD_REQUEST: 400,
  SB_ERR_BAD_CHANNEL: 400,
  SB_ERR_PERMISSION_DENIED: 403,
  SB_ERR_NOT_SUBSCRIBED: 404,
  SB_ERR_RATE_LIMITED: 429,
  SB_ERR_TIMEOUT: 504,
  SB_ERR_UNAVAILABLE: 503,
};

/** Throws the HTTP form of an `error` answer; returns otherwise. */
export function throwIfError(delivery: Delivery, service: string): void {
  if (delivery.body !== 'error') return;
  const error = delivery.error;
  const spec = errorByWire(error?.code ?? 0);
  const code = spec?.code ?? 'SB_ERR_SERVICE';
  throw new HttpError(
    STATUS[code] ?? 502,
    code,
    error?.message || spec?.message || `${service} service failed`,
  );
}

export function presenceJson(delivery: Delivery): Record<string, unknown> {
  throwIfError(delivery, 'presence');
  if (delivery.body !== 'presence' || !delivery.presence)
    throw new HttpError(
      502,
      'SB_ERR_SERVICE',
      `presence service answered with ${delivery.body ?? 'nothing'}`,
    );
  const { channel, clients } = delivery.presence;
  return { channel: channel ?? '', clients: (clients ?? []).map(client) };
}

export function historyJson(delivery: Delivery): Record<string, unknown> {
  throwIfError(delivery, 'history');
  if (delivery.body !== 'history' || !delivery.history)
    throw new HttpError(502, 'SB_ERR_SERVICE', `history service answered with ${delivery.body ?? 'nothing'}`);
  const { channel, position, publications } = delivery.history;
  return {
    channel: channel ?? '',
    position: { offset: toNumber(position?.offset), epoch: position?.epoch ?? '' },
    publications: (publications ?? []).map(publication),
  };
}
