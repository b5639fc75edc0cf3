import { CloseCode, ErrorCodes } from '@switchboard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bus, sign, startBus, TestClient } from './testing/harness.js';

/** An exp claim (seconds) 2 to 3 s from now: valid at connect time, expired a few ticks later. */
const shortExp = () => Math.floor(Date.now() / 1000) + 3;

describe('token expiry while connected', () => {
  let bus: Bus | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await bus?.close();
    bus = undefined;
  });

  const open = async (user: string, exp: number) => {
    const client = new TestClient(bus!.nodes[0]!.url, {
      token: await sign({ sub: user }, { expiresIn: exp }),
    });
    clients.push(client);
    const connected = await client.next((f) => f.kind === 'connected');
    return { client, expiresAtMs: Number(connected.connected!.expiresAtMs) };
  };

  it('disconnects with Error 111 (TokenExpired) and close 3501 once the token expires', async () => {
    bus = await startBus(1, { pingIntervalMs: 100 });
    const exp = shortExp();
    const { client, expiresAtMs } = await open('short', exp);
    expect(expiresAtMs).toBe(exp * 1000);

    const { code } = await client.closed;
    expect(code).toBe(CloseCode.TokenExpired);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAtMs);
    const error = client.frames.find((f) => f.kind === 'error');
    expect(error?.error?.code).toBe(ErrorCodes.TokenExpired.wire);
    const disconnect = client.frames.find((f) => f.kind === 'disconnect')?.disconnect;
    expect(disconnect?.code).toBe(CloseCode.TokenExpired);
    expect(disconnect?.reconnect).toBe(true);
  });

  it('a Refresh with a fresh token before expiry keeps the connection open past the first expiry', async () => {
    bus = await startBus(1, { pingIntervalMs: 100 });
    const exp = shortExp();
    // Both connections hold a token with the same exp; only `kept` refreshes it.
    const { client: kept } = await open('kept', exp);
    const { client: control } = await open('control', exp);

    const fresh = await sign({ sub: 'kept' }, { expiresIn: '1h' });
    kept.send({ id: 5, refresh: { token: fresh } });
    const refreshed = await kept.next((f) => f.id === 5);
    expect(refreshed.kind).toBe('connected');
    const newExpiry = Number(refreshed.connected!.expiresAtMs);
    expect(newExpiry).toBeGreaterThan(exp * 1000);

    // The tick that closes `control` checks `kept` too: once control is gone, the first expiry has passed.
    expect((await control.closed).code).toBe(CloseCode.TokenExpired);
    kept.send({ id: 6, ping: {} });
    expect((await kept.next((f) => f.id === 6)).kind).toBe('pong');
    expect(kept.ws.readyState).toBe(kept.ws.OPEN);
    expect(kept.count((f) => f.kind === 'error' || f.kind === 'disconnect')).toBe(0);
  });

  it('a Refresh with a token for another user is refused and the connection still expires', async () => {
    bus = await startBus(1, { pingIntervalMs: 100 });
    const { client } = await open('owner', shortExp());
    client.send({ id: 5, refresh: { token: await sign({ sub: 'intruder' }, { expiresIn: '1h' }) } });
    expect((await client.next((f) => f.id === 5)).error?.code).toBe(ErrorCodes.PermissionDenied.wire);
    expect((await client.closed).code).toBe(CloseCode.TokenExpired);
  });
});
