/**
 * Browser end-to-end tests of the demo page against the all-in-one (services/standalone) started in this
 * process on a free port and its own in-process bus, driven through Debian's Chromium by playwright-core.
 * Screenshots of the chat and notification views go to test/e2e/artifacts/ (gitignored).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryTransport } from '../../packages/bus/src/memory/index.js';
import { readAllInOneConfig, type Standalone, startStandalone } from '../../services/standalone/src/index.js';
import { waitFor } from '../support/wait.js';
import { ARTIFACTS, launchChromium } from './browser.js';
import { DemoPage, WAIT_MS } from './demo-page.js';

const suffix = () => randomBytes(3).toString('hex');

describe('demo page in Chromium against the all-in-one', () => {
  let app: Standalone;
  let transport: MemoryTransport;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // Fail fast (before starting anything) when Chromium is missing.
    browser = await launchChromium();
    transport = new MemoryTransport({ broker: new MemoryBroker() });
    const config = readAllInOneConfig({
      SWITCHBOARD_PORT: '0',
      SWITCHBOARD_HOST: '127.0.0.1',
      API_HTTP_PORT: '0',
      SWITCHBOARD_DRAIN_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'warn',
    });
    app = await startStandalone(config, { transport });
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await transport?.close();
  });

  async function openPage(): Promise<DemoPage> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    return new DemoPage(await context.newPage()).open(app.url);
  }

  /** Resolves once the edge counts no more than `count` connections. */
  async function edgeConnectionsAtMost(count: number): Promise<void> {
    await waitFor(
      `the edge to count at most ${count} connections`,
      () => app.edge.connections <= count,
      WAIT_MS,
      50,
    );
  }

  async function healthShows(page: DemoPage, connections: string): Promise<void> {
    await page.page.waitForFunction(
      (n) => document.querySelector('[data-testid="health-connections"]')?.textContent === n,
      connections,
      { timeout: WAIT_MS },
    );
  }

  it('two users chat in a room and see each other’s messages and presence', async () => {
    const room = `room-${suffix()}`;
    const alice = `alice-${suffix()}`;
    const bob = `bob-${suffix()}`;
    const a = await openPage();
    await a.join(alice, room);
    await a.presenceItem(alice).waitFor({ timeout: WAIT_MS });
    const b = await openPage();
    await b.join(bob, room);

    // Presence: each page lists both people.
    await a.presenceItem(bob).waitFor({ timeout: WAIT_MS });
    await b.presenceItem(alice).waitFor({ timeout: WAIT_MS });
    expect((await a.presenceUsers()).sort()).toEqual([alice, bob].sort());
    expect(await a.byTestId('presence-count').textContent()).toBe('2');

    // Typing indicator: Bob starts typing, Alice sees it.
    await b.byTestId('message-input').pressSequentially('Hi Alice');
    await a.page.waitForFunction(
      (user) =>
        document
          .querySelector('[data-testid="typing-indicator"]')
          ?.getAttribute('data-users')
          ?.split(',')
          .includes(user) === true,
      bob,
      { timeout: WAIT_MS },
    );
    expect(await a.byTestId('typing-indicator').textContent()).toContain(bob);

    // Messages both ways.
    await a.send('Hello from Alice');
    await b.message('Hello from Alice').waitFor({ timeout: WAIT_MS });
    await b.send('Hi Alice, Bob here');
    await a.message('Hi Alice, Bob here').waitFor({ timeout: WAIT_MS });
    expect(await a.messageTexts()).toEqual(['Hello from Alice', 'Hi Alice, Bob here']);
    expect(await b.messageTexts()).toEqual(['Hello from Alice', 'Hi Alice, Bob here']);
    // Delivered messages stay delivered: no "Not sent" error and no message marked failed.
    expect(await a.chatError()).toBeNull();
    expect(await b.chatError()).toBeNull();
    for (const page of [a, b]) expect(await page.message('Hello from Alice', 'sent').count()).toBe(1);
    expect(await b.message('Hi Alice, Bob here', 'sent').count()).toBe(1);
    const author = a.message('Hi Alice, Bob here').getByTestId('message-user');
    expect(await author.textContent()).toBe(bob);

    // Node health (/stats.json, polled every few seconds) counts both connections.
    await healthShows(a, '2');
    await a.page.screenshot({ path: join(ARTIFACTS, 'chat.png'), fullPage: true });

    // Bob leaves: Alice's presence list drops him.
    await b.page.close();
    await a.presenceItem(bob).waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await a.presenceUsers()).toEqual([alice]);
    expect(await a.byTestId('presence-count').textContent()).toBe('1');
  });

  it('a newcomer sees the room’s earlier messages, and sending shows no error', async () => {
    const room = `history-${suffix()}`;
    const gina = `gina-${suffix()}`;
    const hugo = `hugo-${suffix()}`;
    const g = await openPage();
    await g.join(gina, room);
    const earlier = ['first words', 'second words', 'third words'];
    for (const text of earlier) {
      await g.send(text);
      expect(await g.chatError()).toBeNull();
    }
    expect(await g.messageTexts()).toEqual(earlier);

    // Hugo joins afterwards: the room's history is loaded once subscribed, in order, without errors.
    const h = await openPage();
    await h.join(hugo, room);
    await h.message('third words').waitFor({ timeout: WAIT_MS });
    expect(await h.messageTexts()).toEqual(earlier);
    expect(await h.chatError()).toBeNull();
    expect(await h.message('first words').getByTestId('message-user').textContent()).toBe(gina);

    // Live messages after the history keep coming, once each, and his own is delivered without an error.
    await h.send('hello, I am new');
    await g.message('hello, I am new').waitFor({ timeout: WAIT_MS });
    await g.send('welcome');
    await h.message('welcome').waitFor({ timeout: WAIT_MS });
    expect(await h.messageTexts()).toEqual([...earlier, 'hello, I am new', 'welcome']);
    expect(await g.messageTexts()).toEqual([...earlier, 'hello, I am new', 'welcome']);
    expect(await h.chatError()).toBeNull();
    expect(await g.chatError()).toBeNull();
    expect(await h.message('hello, I am new', 'sent').count()).toBe(1);
  });

  it('shows an order notification sent while the user was offline, and acking it clears the badge', async () => {
    const room = `orders-${suffix()}`;
    const dana = `dana-${suffix()}`;
    const orderId = `ord-${suffix()}`;
    const before = app.edge.connections;

    // Dana signs in once, then closes the page: she is offline.
    const first = await openPage();
    await first.join(dana, room);
    await first.page.close();
    await edgeConnectionsAtMost(before);

    // Someone else publishes an order event for her through the page's order form (POST /api/orders).
    const ops = await openPage();
    await ops.byTestId('order-user-input').fill(dana);
    await ops.byTestId('order-id-input').fill(orderId);
    await ops.byTestId('order-kind-select').selectOption('shipped');
    await ops.byTestId('order-submit').click();
    await ops.page.waitForFunction(
      (id) => document.querySelector('[data-testid="order-result"]')?.textContent?.includes(id) === true,
      orderId,
      { timeout: WAIT_MS },
    );
    expect(await ops.byTestId('order-result').textContent()).toBe(
      `Order ${orderId} shipped sent for ${dana}.`,
    );

    // She comes back: the notification is there, unread.
    const again = await new DemoPage(await first.page.context().newPage()).open(app.url);
    await again.join(dana, room);
    const item = again.notification(orderId);
    await item.waitFor({ timeout: WAIT_MS });
    expect(await item.getAttribute('data-type')).toBe('order.shipped');
    expect(await item.getAttribute('data-unread')).toBe('true');
    expect(await item.getByTestId('notification-title').textContent()).toBe('Order shipped');
    const badge = again.byTestId('unread-badge');
    await badge.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await badge.textContent()).toBe('1');

    await healthShows(again, '1');
    await again.page.screenshot({ path: join(ARTIFACTS, 'notifications.png'), fullPage: true });

    // Ack: the badge goes away and the item is read.
    await item.getByTestId('notification-ack').click();
    await badge.waitFor({ state: 'hidden', timeout: WAIT_MS });
    expect(await item.getAttribute('data-unread')).toBe('false');

    // The ack reached the service: after a reload only a newer order is unread.
    await again.page.close();
    await edgeConnectionsAtMost(before);
    const third = await new DemoPage(await first.page.context().newPage()).open(app.url);
    await third.join(dana, room);
    const later = `ord-${suffix()}`;
    const res = await fetch(`${app.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: dana, orderId: later, kind: 'delivered' }),
    });
    expect(res.status).toBe(202);
    await third.notification(later).waitFor({ timeout: WAIT_MS });
    await third.byTestId('unread-badge').waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await third.byTestId('unread-badge').textContent()).toBe('1');
    expect(await third.notification(orderId).count()).toBe(0);
  });

  it('shows the reconnect banner when the server drops the connection, then the missed messages', async () => {
    const room = `recover-${suffix()}`;
    const erin = `erin-${suffix()}`;
    const finn = `finn-${suffix()}`;
    const e = await openPage();
    await e.join(erin, room);
    const f = await openPage();
    await f.join(finn, room);
    await f.send('before the drop');
    await e.message('before the drop').waitFor({ timeout: WAIT_MS });

    // Keep Erin offline while Finn writes: her reconnect attempts cannot get a token until released.
    let offline = true;
    await e.page.route('**/dev/token*', (route) =>
      offline
        ? route.fulfill({
            status: 503,
            contentType: 'application/json',
            body: '{"error":"held by the test"}',
          })
        : route.continue(),
    );

    // Server-side disconnect of all of Erin's connections, asking the client to reconnect.
    const res = await fetch(`${app.apiUrl}/v1/users/${erin}/disconnect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reconnect: true, reason: 'e2e: server-side disconnect' }),
    });
    expect(res.status).toBe(202);
    const banner = e.byTestId('reconnect-banner');
    await banner.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await banner.textContent()).toContain('Reconnecting');

    await f.send('missed one');
    await f.send('missed two');
    expect(await e.message('missed one').count()).toBe(0);
    await e.page.screenshot({ path: join(ARTIFACTS, 'reconnecting.png'), fullPage: true });

    offline = false;
    await e.waitForState('connected');
    await banner.waitFor({ state: 'hidden', timeout: WAIT_MS });
    const note = e.byTestId('recovered-note');
    await note.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await note.getAttribute('data-count')).toBe('2');
    expect(await note.textContent()).toBe('Back online: recovered 2 missed messages.');
    await e.message('missed two').waitFor({ timeout: WAIT_MS });
    expect(await e.messageTexts()).toEqual(['before the drop', 'missed one', 'missed two']);

    // And the connection is live again both ways.
    await e.send('back again');
    await f.message('back again').waitFor({ timeout: WAIT_MS });
  });
});
