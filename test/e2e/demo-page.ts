/** The demo page as the tests drive it: only through the data-testids of services/web. */
import type { Locator, Page } from 'playwright-core';

export const WAIT_MS = 20_000;

export class DemoPage {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async open(url: string): Promise<this> {
    await this.page.goto(url, { waitUntil: 'load' });
    // The page mounts its views once /config.json is read; the join form is usable from then on.
    await this.page.waitForFunction(() => 'switchboardDemo' in globalThis, undefined, { timeout: WAIT_MS });
    return this;
  }

  /** Signs in through the join form and waits until connected and in the room. */
  async join(user: string, room: string): Promise<void> {
    await this.byTestId('name-input').fill(user);
    await this.byTestId('room-input').fill(room);
    await this.byTestId('join-button').click();
    await this.waitForState('connected');
    await this.page.waitForFunction(
      (r) => document.querySelector('[data-testid="current-room"]')?.textContent?.includes(r) === true,
      room,
      { timeout: WAIT_MS },
    );
    await this.page.waitForSelector('[data-testid="message-input"]:not([disabled])', { timeout: WAIT_MS });
  }

  async waitForState(state: string): Promise<void> {
    await this.page.waitForSelector(`[data-testid="connection-state"][data-state="${state}"]`, {
      timeout: WAIT_MS,
    });
  }

  async send(text: string): Promise<void> {
    await this.byTestId('message-input').fill(text);
    await this.byTestId('send-button').click();
    // Confirmed by the chat service (not just shown as pending).
    await this.message(text, 'sent').waitFor({ timeout: WAIT_MS });
  }

  /** The chat error line's text, or null while it is hidden. */
  async chatError(): Promise<string | null> {
    const error = this.byTestId('chat-error');
    return (await error.isVisible()) ? await error.textContent() : null;
  }

  /** The message item with exactly this text (and status, when given). */
  message(text: string, status?: string): Locator {
    const items = this.byTestId('message-list').locator(
      status ? `[data-testid="message-item"][data-status="${status}"]` : '[data-testid="message-item"]',
    );
    return items.filter({ has: this.page.getByTestId('message-text').getByText(text, { exact: true }) });
  }

  async messageTexts(): Promise<string[]> {
    return this.byTestId('message-list').getByTestId('message-text').allTextContents();
  }

  presenceItem(user: string): Locator {
    return this.byTestId('presence-list').locator(`[data-testid="presence-item"][data-user="${user}"]`);
  }

  async presenceUsers(): Promise<string[]> {
    return this.byTestId('presence-list')
      .getByTestId('presence-item')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-user') ?? ''));
  }

  notification(orderId: string): Locator {
    return this.byTestId('notification-list').getByTestId('notification-item').filter({ hasText: orderId });
  }
}
