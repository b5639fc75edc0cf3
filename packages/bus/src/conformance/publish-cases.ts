/**
 * Conformance cases about the publishing side: call order of publishes that are not awaited one by one,
 * and what an outage longer than the publish timeout may (not) leave behind. Registered by
 * runTransportConformance, which hands in its broker and helpers.
 */
import { expect, it } from 'vitest';
import { BusError, BusUnavailableError } from '../errors.js';
import { channelRoute } from '../routes.js';
import type { Closable, NodeSubscription, Route, Transport, WorkMessage } from '../transport.js';
import { bytes, sleep, text, uniqueName, waitFor } from './wait.js';

export interface PublishCaseContext {
  connect(options?: { readonly publishTimeoutMs?: number }): Promise<Transport>;
  openProbe(
    transport: Transport,
    node: string,
  ): Promise<{ sub: NodeSubscription; got: { route: Route; text: string }[] }>;
  consume(
    transport: Transport,
    topic: string,
    group: string,
    handler: (message: WorkMessage) => Promise<void>,
    options?: { ordered?: boolean },
  ): Promise<Closable>;
  restart(): Promise<void>;
  /** False for a broker whose restart is simulated without any time of unavailability (memory). */
  outages(): boolean;
  patience(): number;
}

/** Concurrent publishes of one caller: how many, and the short timeout of the outage case. */
const BURST = 500;
const OUTAGE_PUBLISH_TIMEOUT_MS = 400;
/** Publishes issued at once while the broker is down, per round, and the cap on rounds. */
const OUTAGE_ROUND = 10;
const OUTAGE_MAX_ROUNDS = 100;

export function registerPublishCases(ctx: PublishCaseContext): void {
  it('keeps call order for publishes issued without awaiting each one', async () => {
    const topic = uniqueName('burst');
    const consumer = await ctx.connect();
    const work: number[] = [];
    await ctx.consume(consumer, topic, 'svc', async (m) => void work.push(Number(text(m.bytes))), {
      ordered: true,
    });
    const edge = await ctx.connect();
    const probe = await ctx.openProbe(edge, uniqueName('edge'));
    const room = channelRoute(uniqueName('room'));
    await probe.sub.addInterest(room);
    const publisher = await ctx.connect();

    // One caller, no await between calls (what POST /v1/publish/batch does): work and deliveries interleaved.
    const calls: Promise<void>[] = [];
    for (let i = 0; i < BURST; i++) {
      calls.push(publisher.publishWork(topic, 'one-key', bytes(String(i))));
      calls.push(publisher.publishDelivery(room, bytes(String(i))));
    }
    await Promise.all(calls);

    await waitFor('every work message handled', () => work.length >= BURST, ctx.patience());
    await waitFor('every delivery received', () => probe.got.length >= BURST, ctx.patience());
    const expected = Array.from({ length: BURST }, (_, i) => i);
    expect(work).toEqual(expected);
    expect(probe.got.map((g) => Number(g.text))).toEqual(expected);
  }, 180_000);

  it('never delivers a publish that was rejected during an outage, and delivers every confirmed one', async () => {
    const topic = uniqueName('outage');
    const consumer = await ctx.connect();
    const handled: string[] = [];
    await ctx.consume(consumer, topic, 'svc', async (m) => void handled.push(text(m.bytes)), {
      ordered: true,
    });
    const publisher = await ctx.connect({ publishTimeoutMs: OUTAGE_PUBLISH_TIMEOUT_MS });
    const issued: string[] = [];
    const confirmed: string[] = [];
    const rejected: string[] = [];
    /** Why each publish rejected, for the failure message. */
    const reasons = new Map<string, string>();
    // What was under way when the broker went away may have reached it although its confirm was lost (no
    // client can know): such a rejection says so (`maybeDelivered`, the API's 504) and may arrive. A
    // rejection that does not say so (the API's 503) must never arrive.
    const ambiguous = new Set<string>();
    const publish = async (body: string): Promise<boolean> => {
      issued.push(body);
      try {
        await publisher.publishWork(topic, 'one-key', bytes(body));
        confirmed.push(body);
        return true;
      } catch (error) {
        expect(error).toBeInstanceOf(BusError);
        rejected.push(body);
        reasons.set(body, `${(error as Error).name}: ${(error as Error).message}`);
        if (error instanceof BusUnavailableError && error.maybeDelivered) ambiguous.add(body);
        return false;
      }
    };
    for (let i = 0; i < 5; i++) expect(await publish(`before-${i}`)).toBe(true);

    let restarted = false;
    const restarting = ctx.restart().finally(() => {
      restarted = true;
    });
    // Until a rejection shows the outage, keep publishing without waiting for each: those under way when the
    // broker went away are allowed to arrive even if they rejected (see `ambiguous`).
    const early: Promise<boolean>[] = [];
    for (let n = 0; !restarted && rejected.length === 0; n++) {
      const body = `early-${n}`;
      ambiguous.add(body);
      early.push(publish(body));
      await sleep(50);
    }
    // The broker is down now: every publish issued here waits its timeout and rejects (or, once the broker
    // is back, is confirmed). Neither kind may be lost or appear later than its rejection.
    for (let round = 0; !restarted && round < OUTAGE_MAX_ROUNDS; round++) {
      await Promise.all(Array.from({ length: OUTAGE_ROUND }, (_, i) => publish(`down-${round}-${i}`)));
    }
    await restarting;
    await Promise.all(early);
    const rejectedDuringOutage = rejected.filter((body) => body.startsWith('down-')).length;
    // While the transport reconnects, publishes may still reject; they fall under the same rule.
    // A retry is a new message (a new body), as an application's retry is a new publish.
    for (let i = 0, attempt = 0; i < 5; attempt++) {
      if (await publish(`after-${i}-${attempt}`)) i++;
      else await sleep(100);
    }

    await waitFor(
      'every confirmed publish handled',
      () => {
        const seen = new Set(handled);
        return confirmed.every((body) => seen.has(body));
      },
      ctx.patience() * 3,
    );
    // One key, so per-key order: what was buffered and flushed on reconnect came before the last confirmed
    // publish. The pause lets a straggler show up all the same.
    await sleep(1_000);
    const seen = new Set(handled);
    expect(confirmed.filter((body) => !seen.has(body))).toEqual([]);
    expect(
      rejected
        .filter((body) => seen.has(body) && !ambiguous.has(body))
        .map((body) => `${body} (${reasons.get(body)})`),
    ).toEqual([]);
    // Confirmed publishes first arrive in call order (later copies are at-least-once redeliveries), also
    // those that waited for the reconnect: nothing issued later overtook them.
    const isConfirmed = new Set(confirmed);
    expect([...seen].filter((body) => isConfirmed.has(body))).toEqual(
      issued.filter((body) => isConfirmed.has(body)),
    );
    if (ctx.outages()) expect(rejectedDuringOutage).toBeGreaterThan(0);
  }, 300_000);
}
