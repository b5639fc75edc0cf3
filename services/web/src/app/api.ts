/** HTTP calls of the page to its own web server. */
import type { OrderKind, WebConfig } from './state.js';

/** A request of the page to its own server that failed: the status it got, and a message to show. */
export class RequestFailedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestFailedError';
  }
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const detail = body.message ?? body.error;
    if (typeof detail === 'string') return detail;
    if (detail && typeof detail === 'object' && 'message' in detail) return String(detail.message);
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || res.statusText;
}

export async function fetchConfig(): Promise<WebConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new RequestFailedError(res.status, `config.json: ${res.status} ${await errorText(res)}`);
  const body = (await res.json()) as Partial<WebConfig>;
  return { wsUrl: body.wsUrl ?? '/ws', apiBase: body.apiBase ?? '' };
}

/** The WebSocket URL from the config; a relative one (e.g. `/ws`) is taken relative to the page. */
export function resolveWsUrl(wsUrl: string, pageUrl: string): string {
  const url = new URL(wsUrl || '/ws', pageUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

export async function fetchToken(user: string): Promise<string> {
  const res = await fetch(`/dev/token?user=${encodeURIComponent(user)}`, { cache: 'no-store' });
  if (res.status === 404) throw new RequestFailedError(404, 'Demo tokens are not enabled on this server.');
  if (!res.ok) throw new RequestFailedError(res.status, `Token: ${res.status} ${await errorText(res)}`);
  const body = (await res.json()) as { token?: unknown };
  if (typeof body.token !== 'string') throw new RequestFailedError(500, 'Token: the answer had no token');
  return body.token;
}

export interface OrderEvent {
  userId: string;
  orderId: string;
  kind: OrderKind;
}

/**
 * Posts an order event with the visitor's own API key, if any (the server passes it on to the API and
 * lends none of its own); resolves with a short description, rejects with an RequestFailedError.
 */
export async function postOrder(order: OrderEvent, apiKey = ''): Promise<string> {
  const res = await fetch('/api/orders', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
    body: JSON.stringify(order),
  });
  if (!res.ok) throw new RequestFailedError(res.status, `${res.status}: ${await errorText(res)}`);
  return `Order ${order.orderId} ${order.kind} sent for ${order.userId}.`;
}

/** `/stats.json`: the body, or null when the server has no stats (404). */
export async function fetchStats(): Promise<unknown | null> {
  const res = await fetch('/stats.json', { cache: 'no-store' });
  if (res.status === 404) return null;
  if (!res.ok) throw new RequestFailedError(res.status, `${res.status} ${res.statusText}`);
  return res.json();
}
