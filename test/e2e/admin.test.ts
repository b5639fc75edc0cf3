/**
 * The admin page (`GET /admin` on the HTTP API) in Chromium against the all-in-one started in this process
 * on its own in-process bus: the operator pastes the API key, sees the node with its connection count and
 * a channel with its subscribers, lists a channel's presence, disconnects a user (whose WebSocket closes)
 * and publishes a test message (a subscribed client receives it). The clients are raw protocol WebSockets,
 * so what they see is what the edge sent. A screenshot goes to test/e2e/artifacts/admin.png.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryTransport } from '../../packages/bus/src/memory/index.js';
import {
  decodeServerFrame,
  encodeClientFrame,
  type IClientFrame,
  type ServerFrame,
  Subprotocol,
} from '../../packages/protocol/src/index.js';
import { readAllInOneConfig, type Standalone, startStandalone } from '../../services/standalone/src/index.js';
import { waitFor } from '../support/wait.js';
import { ARTIFACTS, launchChromium } from './browser.js';

// ws is a dependency of the edge only, so it is loaded from there (as test/security/fuzz.test.ts does).
type Ws = typeof import('../../services/edge/node_modules/@types/ws/index.js');
const { WebSocket } = createRequire(new URL('../../services/edge/package.json', import.meta.url))('ws') as Ws;

const API_KEY = `admin-e2e-${randomBytes(8).toString('hex')}`;
const WAIT_MS = 15_000;
const suffix = () => randomBytes(3).toString('hex');

/** One raw protocol client: connects with a demo token, subscribes, records every frame and its close. */
class RawClient {
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  #nextId = 0;
  readonly #ws: InstanceType<typeof WebSocket>;

  private constructor(ws: InstanceType<typeof WebSocket>) {
    this.#ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => this.frames.push(decodeServerFrame(new Uint8Array(data))));
    ws.on('close', (code: number) => {
      this.closeCode = code;
    });
  }

  static async connect(baseUrl: string, user: string): Promise<RawClient> {
    const { token } = (await (await fetch(`${baseUrl}/dev/token?user=${user}`)).json()) as { token: string };
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, [Subprotocol.Protobuf]);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new RawClient(ws);
    await client.command({ connect: { token } }, 'connected');
    return client;
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  async command(frame: IClientFrame, answer: ServerFrame['kind']): Promise<ServerFrame> {
    const id = ++this.#nextId;
    this.#ws.send(encodeClientFrame({ ...frame, id }));
    const got = await waitFor(
      `answer ${answer} to command ${id}`,
      () => this.frames.find((f) => f.id === id && (f.kind === answer || f.kind === 'error')),
      WAIT_MS,
      20,
    );
    if (!got || got.kind !== answer) throw new Error(`command ${id} failed: ${JSON.stringify(got?.error)}`);
    return got;
  }

  close(): void {
    this.#ws.close();
  }
}

describe('admin page in Chromium against the all-in-one', () => {
  let app: Standalone;
  let transport: MemoryTransport;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    browser = await launchChromium(); // fails fast when Chromium is missing
    transport = new MemoryTransport({ broker: new MemoryBroker() });
    const config = readAllInOneConfig({
      SWITCHBOARD_PORT: '0',
      SWITCHBOARD_HOST: '127.0.0.1',
      SWITCHBOARD_DEMO: 'true',
      API_HTTP_PORT: '0',
      API_KEYS: API_KEY,
      // Heartbeats (which carry the node's connections and busiest channels) every 300 ms, not every 5 s.
      SWITCHBOARD_NODE_HEARTBEAT_MS: '300',
      SWITCHBOARD_DRAIN_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'warn',
    });
    app = await startStandalone(config, { transport });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await transport?.close();
  });

  /** CSP refusals the page's console reported (its own script, style and fetches must pass its policy). */
  const violations: string[] = [];

  async function openAdmin(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      // Chromium reports a refused script, style or fetch as a console error naming the policy.
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        violations.push(message.text());
    });
    const response = await page.goto(`${app.apiUrl}/admin`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('#status').filter({ hasText: 'Paste an API key' }).waitFor({ timeout: WAIT_MS });
    return page;
  }

  const textOf = (page: Page, selector: string) => page.locator(selector).first().textContent();

  it('shows nodes and channels, lists presence, disconnects a user and publishes a test message', async () => {
    const channel = `presence-admin-${suffix()}`;
    const alice = `alice-${suffix()}`;
    const bob = `bob-${suffix()}`;
    const a = await RawClient.connect(app.url, alice);
    const b = await RawClient.connect(app.url, bob);
    clients.push(a, b);
    for (const c of [a, b]) await c.command({ subscribe: { channel } }, 'subscribed');

    const page = await openAdmin();
    // Without a key the API refuses: the page says so rather than showing anything.
    await page.locator('#refresh').click();
    await page.locator('#status.error').filter({ hasText: 'API key' }).waitFor({ timeout: WAIT_MS });

    await page.locator('#api-key').fill(API_KEY);
    await page.locator('#use-key').click();
    expect(await page.locator('#api-key').inputValue()).toBe(''); // not left in the field
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard.admin.apiKey'))).toBe(API_KEY);

    // The node, with both connections; the channel, with both subscribers (the page refreshes itself).
    const nodeRow = page.locator(`#nodes tr[data-node="${app.edge.nodeId}"]`);
    await nodeRow.locator('td.connections', { hasText: /^2$/ }).waitFor({ timeout: WAIT_MS });
    const channelRow = page.locator(`#channels tr[data-channel="${channel}"]`);
    await channelRow.locator('td.subscribers', { hasText: /^2$/ }).waitFor({ timeout: WAIT_MS });
    expect(await nodeRow.locator('td.busiest').textContent()).toContain(`${channel} (2)`);

    // Presence of the channel: clicking it fills the form and lists both users.
    await channelRow.locator('button').click();
    await page.locator(`#presence tr[data-user="${alice}"]`).waitFor({ timeout: WAIT_MS });
    await page.locator(`#presence tr[data-user="${bob}"]`).waitFor({ timeout: WAIT_MS });
    expect(await page.locator('#publish-channel').inputValue()).toBe(channel);
    await page.screenshot({ path: join(ARTIFACTS, 'admin.png'), fullPage: true });

    // Disconnect Bob: his WebSocket closes (3003: may reconnect), Alice's stays open.
    await page.locator(`#presence tr[data-user="${bob}"] button`).click();
    expect(await page.locator('#disconnect-user').inputValue()).toBe(bob);
    await page.locator('#disconnect-form button[type="submit"]').click();
    await page
      .locator('#status.ok')
      .filter({ hasText: `Disconnect of user ${bob} accepted` })
      .waitFor({
        timeout: WAIT_MS,
      });
    await waitFor("Bob's WebSocket to close", () => b.closeCode !== undefined, WAIT_MS, 20);
    expect(b.closeCode).toBe(3003);
    expect(b.frames.some((f) => f.kind === 'disconnect')).toBe(true);
    expect(a.open).toBe(true);

    // The node list follows: one connection left.
    await nodeRow.locator('td.connections', { hasText: /^1$/ }).waitFor({ timeout: WAIT_MS });

    // Publish a test message to the channel: Alice receives it, as sent.
    const marker = `hello-${suffix()}`;
    await page.locator('#publish-type').fill('admin.test');
    await page.locator('#publish-data').fill(JSON.stringify({ marker }));
    await page.locator('#publish-form button[type="submit"]').click();
    await page
      .locator('#status.ok')
      .filter({ hasText: `Published to ${channel}` })
      .waitFor({ timeout: WAIT_MS });
    const publication = await waitFor(
      'the test message at Alice',
      () => a.frames.find((f) => f.kind === 'publication' && f.publication?.type === 'admin.test'),
      WAIT_MS,
      20,
    );
    expect(publication?.publication?.channel).toBe(channel);
    const payload = publication?.publication?.payload ?? new Uint8Array();
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ marker });
    expect(await textOf(page, '#totals')).toMatch(/^1 node\(s\), 1 connection\(s\)$/);
    expect(violations).toEqual([]);
  });
});
