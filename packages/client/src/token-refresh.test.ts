import type { ClientFrame } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connected, useEdge } from './test-support/clients.js';
import type { EdgeConnection } from './test-support/fake-edge.js';
import { collect } from './test-support/wait.js';
import { refreshDelay } from './token-refresh.js';

const fixture = useEdge();
const TTL = 120_000;

describe('refreshDelay', () => {
  it('refreshes the margin before expiry, at most half the remaining time early, never sooner than 1 s', () => {
    expect(refreshDelay(120_000, 30_000)).toBe(90_000);
    expect(refreshDelay(20_000, 30_000)).toBe(10_000);
    expect(refreshDelay(1_500, 30_000)).toBe(1_000);
    expect(refreshDelay(-5_000, 30_000)).toBe(1_000);
  });
});

describe('proactive token refresh', () => {
  let refreshes: ClientFrame[];
  let connectTokens: string[];
  let extend: boolean;
  let firstExpiry: number;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    refreshes = [];
    connectTokens = [];
    extend = true;
    fixture.edge.onFrame = (conn: EdgeConnection, frame) => {
      if (frame.connect) {
        connectTokens.push(frame.connect.token ?? '');
        firstExpiry = Date.now() + TTL;
        conn.send({
          id: frame.id,
          connected: { connectionId: 'c1', userId: 'u1', expiresAtMs: firstExpiry },
        });
      }
      if (frame.refresh) {
        refreshes.push(frame);
        const expiresAtMs = extend ? Date.now() + TTL : firstExpiry;
        conn.send({ id: frame.id, connected: { connectionId: 'c1', userId: 'u1', expiresAtMs } });
      }
    };
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function tokens() {
    let n = 0;
    return vi.fn(async () => `token-${++n}`);
  }

  it('sends RefreshToken with a fresh token shortly before expiry, then again before the new expiry', async () => {
    const getToken = tokens();
    const client = fixture.newClient({ getToken, refreshBeforeExpiryMs: 30_000 });
    const info = await connected(client);
    const conn = await fixture.edge.connection(0);
    expect(info.expiresAtMs).toBe(Date.now() + TTL);
    expect(getToken).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(89_000);
    expect(getToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(getToken).toHaveBeenLastCalledWith({ expired: false });
    const refresh = await conn.next('refresh');
    expect(refresh.refresh?.token).toBe('token-2');
    await vi.waitUntil(() => client.connection?.expiresAtMs === Date.now() + TTL, { interval: 0 });

    await vi.advanceTimersByTimeAsync(90_000);
    expect((await conn.next('refresh')).refresh?.token).toBe('token-3');
    expect(client.state).toBe('connected');
    expect(connectTokens).toEqual(['token-1']);
    expect(fixture.edge.connections).toHaveLength(1);
  });

  it('does not refresh again when the server did not move the expiry forward', async () => {
    extend = false;
    const getToken = tokens();
    const client = fixture.newClient({ getToken });
    await connected(client);
    const conn = await fixture.edge.connection(0);
    await vi.advanceTimersByTimeAsync(90_000);
    await conn.next('refresh');
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(refreshes).toHaveLength(1);
  });

  it('reports a failed refresh as a token error and retries at half the remaining time', async () => {
    let n = 0;
    const getToken = vi.fn(async () => {
      n += 1;
      if (n === 2) throw new Error('auth backend down');
      return `token-${n}`;
    });
    const client = fixture.newClient({ getToken });
    const errors = collect(client, 'error');
    await connected(client);
    const conn = await fixture.edge.connection(0);
    await vi.advanceTimersByTimeAsync(90_000); // refresh fails, 30 s left: retry in 15 s
    expect(errors.map((e) => e.type)).toEqual(['token']);
    expect(errors[0]?.error).toMatchObject({
      code: 'SB_ERR_CLIENT_TOKEN',
      cause: { message: 'auth backend down' },
    });
    await vi.advanceTimersByTimeAsync(14_000);
    expect(getToken).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await conn.next('refresh')).refresh?.token).toBe('token-3');
  });

  it('plans nothing for a fixed token, and drops the plan with the connection', async () => {
    const fixed = fixture.newClient({ token: 'fixed' });
    await connected(fixed);
    const getToken = tokens();
    const client = fixture.newClient({ getToken });
    await connected(client);
    client.disconnect();
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(getToken).toHaveBeenCalledTimes(1);
    expect(refreshes).toEqual([]);
  });
});
