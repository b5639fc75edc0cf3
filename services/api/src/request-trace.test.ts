import { channelRoute } from '@switchboard/bus';
import { NO_TRACING, parseTraceparent, type Tracing } from '@switchboard/runtime';
import { type MemoryTracing, memoryTracing } from '@switchboard/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { answeringService, type Harness, KEY, startHarness } from './testing/harness.js';

// A caller's traceparent (the W3C specification's example).
const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const withKey = (headers: Record<string, string> = {}) => ({ authorization: `Bearer ${KEY}`, ...headers });

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** An API with `tracing`, and a presence service that answers every query and keeps the Inbounds. */
async function start(tracing: Tracing) {
  h = await startHarness({ tracing });
  const presence = await answeringService(h.services, 'presence', () => ({
    presence: { channel: 'lobby', clients: [] },
  }));
  const presenceQuery = async (headers: Record<string, string>) => {
    const answer = await h!.call('GET', '/v1/presence/lobby', undefined, headers);
    expect(answer.status).toBe(200);
    return parseTraceparent(presence.received.at(-1)?.traceId);
  };
  return { harness: h, presence, presenceQuery };
}

describe('API requests with tracing on', () => {
  let traced: MemoryTracing;
  afterEach(async () => {
    await traced.tracing.shutdown();
  });

  it("continue the caller's traceparent: the query's Inbound is a child of the API's server span", async () => {
    traced = memoryTracing('switchboard-api');
    const { presenceQuery } = await start(traced.tracing);
    const sent = await presenceQuery(withKey({ traceparent: CALLER }));
    const [span, ...others] = traced.spans();
    expect(others).toEqual([]);
    expect(span).toMatchObject({
      name: 'GET /v1/presence/{channel}',
      service: 'switchboard-api',
      traceId: CALLER_TRACE,
      parentSpanId: 'b7ad6b7169203331',
    });
    expect(span?.attributes).toMatchObject({
      'http.route': '/v1/presence/{channel}',
      'http.response.status_code': 200,
    });
    expect(sent).toMatchObject({ traceId: CALLER_TRACE, spanId: span?.spanId, traceFlags: 1 });
  });

  it('start a trace without a traceparent, or with one that is not valid', async () => {
    traced = memoryTracing('switchboard-api');
    const { presenceQuery } = await start(traced.tracing);
    const fresh = await presenceQuery(withKey());
    const fromGarbage = await presenceQuery(withKey({ traceparent: '00-not-a-traceparent-01' }));
    const [first, second] = traced.spans();
    expect(first?.parentSpanId).toBeUndefined();
    expect(second?.parentSpanId).toBeUndefined();
    expect(fresh).toMatchObject({ traceId: first?.traceId, spanId: first?.spanId });
    expect(fromGarbage).toMatchObject({ traceId: second?.traceId, spanId: second?.spanId });
    expect(new Set([first?.traceId, second?.traceId, CALLER_TRACE]).size).toBe(3);
  });

  it('carry the traceparent into publications too', async () => {
    traced = memoryTracing('switchboard-api');
    const { harness } = await start(traced.tracing);
    await harness.edge.addInterest(channelRoute('news'));
    const body = { channel: 'news', type: 'article', data: { x: 1 } };
    expect((await harness.call('POST', '/v1/publish', body, withKey({ traceparent: CALLER }))).status).toBe(
      202,
    );
    const delivery = await harness.edge.next((d) => d.channel === 'news');
    const [span] = traced.spans();
    expect(span).toMatchObject({ name: 'POST /v1/publish', traceId: CALLER_TRACE });
    expect(parseTraceparent(delivery.traceId)).toMatchObject({ traceId: CALLER_TRACE, spanId: span?.spanId });
  });

  it('mark the span failed when the request fails with a 5xx', async () => {
    traced = memoryTracing('switchboard-api');
    h = await startHarness({ tracing: traced.tracing, queryTimeoutMs: 50 });
    // No presence service: the query times out.
    expect((await h.call('GET', '/v1/presence/lobby', undefined, withKey())).status).toBe(504);
    const [span] = traced.spans();
    expect(span?.status).toBe(2);
    expect(span?.attributes['http.response.status_code']).toBe(504);
  });

  it("neither continue nor record an unauthenticated caller's request", async () => {
    traced = memoryTracing('switchboard-api');
    const { harness } = await start(traced.tracing);
    const answer = await harness.call('GET', '/v1/presence/lobby', undefined, { traceparent: CALLER });
    expect(answer.status).toBe(401);
    expect(traced.spans()).toEqual([]);
  });
});

describe('API requests with tracing off', () => {
  it("pass the caller's traceparent on as it came", async () => {
    const { presenceQuery } = await start(NO_TRACING);
    expect(await presenceQuery(withKey({ traceparent: CALLER }))).toMatchObject({
      traceId: CALLER_TRACE,
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
  });

  it('carry only the four fields of a later-version traceparent, not the text it may append', async () => {
    const { presence, presenceQuery } = await start(NO_TRACING);
    const padded = `01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-${'x'.repeat(8_000)}`;
    expect(await presenceQuery(withKey({ traceparent: padded }))).toMatchObject({ traceId: CALLER_TRACE });
    expect(presence.received.at(-1)?.traceId).toBe(CALLER);
  });

  it('start an unsampled trace of their own otherwise, one per request', async () => {
    const { presenceQuery } = await start(NO_TRACING);
    const first = await presenceQuery(withKey());
    const second = await presenceQuery(withKey({ traceparent: 'garbage' }));
    expect(first?.traceFlags).toBe(0);
    expect(second?.traceFlags).toBe(0);
    expect(first?.traceId).not.toBe(second?.traceId);
  });
});
