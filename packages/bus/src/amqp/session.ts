/**
 * One live broker connection and the shared channels on it. A Session never outlives its connection:
 * when the connection closes, `alive` turns false and the manager opens a new Session.
 */
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpLogger } from './options.js';

export class Session {
  alive = true;
  #confirm: ConfirmChannel | undefined;
  #confirmOpening: Promise<ConfirmChannel> | undefined;
  #control: Channel | undefined;
  #controlOpening: Promise<Channel> | undefined;

  constructor(
    readonly id: number,
    readonly connection: ChannelModel,
    readonly logger: AmqpLogger,
  ) {}

  /** A channel with its error and close listeners attached (an unhandled 'error' would crash the process). */
  async openChannel(purpose: string): Promise<Channel> {
    const channel = await this.connection.createChannel();
    this.#watch(channel, purpose);
    return channel;
  }

  /** The publisher-confirm channel every publish goes through; re-opened if a channel error closed it. */
  confirm(): Promise<ConfirmChannel> {
    if (this.#confirm) return Promise.resolve(this.#confirm);
    this.#confirmOpening ??= (async () => {
      try {
        const channel = await this.connection.createConfirmChannel();
        this.#watch(channel, 'confirm', () => {
          if (this.#confirm === channel) this.#confirm = undefined;
        });
        this.#confirm = channel;
        return channel;
      } finally {
        this.#confirmOpening = undefined;
      }
    })();
    return this.#confirmOpening;
  }

  /** The channel for declarations and (un)bindings. */
  control(): Promise<Channel> {
    if (this.#control) return Promise.resolve(this.#control);
    this.#controlOpening ??= (async () => {
      try {
        const channel = await this.openChannel('control');
        channel.once('close', () => {
          if (this.#control === channel) this.#control = undefined;
        });
        this.#control = channel;
        return channel;
      } finally {
        this.#controlOpening = undefined;
      }
    })();
    return this.#controlOpening;
  }

  async close(): Promise<void> {
    this.alive = false;
    try {
      await this.connection.close();
    } catch {
      // already closed by the broker or by a socket error
    }
  }

  #watch(channel: Channel, purpose: string, onClose?: () => void): void {
    channel.on('error', (error: Error) => {
      this.logger.warn({ err: error, purpose, session: this.id }, 'amqp channel error');
    });
    if (onClose) channel.once('close', onClose);
  }
}
