/**
 * corkFrameWrites: a burst of frames queued in one turn leaves in a few socket writes, not one per frame,
 * and the broker still receives every message, in order. The same burst on an uncorked connection is
 * the control: it shows the count this test asserts on is the one corking changes.
 * Runs against the host RabbitMQ (AMQP_URL, default 127.0.0.1:5672).
 */
import amqp, { type ChannelModel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/wait.js';
import { corkFrameWrites } from './corked-writes.js';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MESSAGES = 300;

interface CountedSocket {
  _write: (...args: unknown[]) => unknown;
  _writev?: (...args: unknown[]) => unknown;
}

/** Counts the socket's low-level writes (each is one system call for a net.Socket). */
function countWrites(model: ChannelModel): () => number {
  const socket = (model as unknown as { connection: { stream: CountedSocket } }).connection.stream;
  let writes = 0;
  const write = socket._write.bind(socket);
  socket._write = (...args) => {
    writes++;
    return write(...args);
  };
  const writev = socket._writev?.bind(socket);
  if (writev)
    socket._writev = (...args) => {
      writes++;
      return writev(...args);
    };
  return () => writes;
}

/** Sends MESSAGES messages to a fresh queue in one turn; returns the writes they took and what arrived. */
async function burst(model: ChannelModel): Promise<{ writes: number; received: string[] }> {
  const channel = await model.createChannel();
  const queue = uniqueName('sb-cork');
  await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
  const writes = countWrites(model);
  const before = writes();
  for (let i = 0; i < MESSAGES; i++) channel.sendToQueue(queue, Buffer.from(String(i)));
  // A round trip on the same channel: the broker has every message before it answers.
  await channel.checkQueue(queue);
  const used = writes() - before;
  const received: string[] = [];
  await channel.consume(queue, (message) => message && received.push(message.content.toString()), {
    noAck: true,
  });
  await expect.poll(() => received.length, { timeout: 10_000 }).toBe(MESSAGES);
  return { writes: used, received };
}

describe('amqp corked frame writes', () => {
  const models: ChannelModel[] = [];
  afterEach(async () => {
    await Promise.all(models.splice(0).map((model) => model.close().catch(() => undefined)));
  });

  it('sends a burst of 300 publishes in a few socket writes, every message in order', async () => {
    const model = await amqp.connect(URL);
    models.push(model);
    expect(corkFrameWrites(model)).toBe(true);
    const { writes, received } = await burst(model);
    expect(received).toEqual(Array.from({ length: MESSAGES }, (_, i) => String(i)));
    // ~30 KB of frames: the socket's 16 KB high-water mark splits the pass in two or three.
    expect(writes).toBeLessThan(20);
  });

  it("control: without it, amqplib writes every message on its own (a small message's frames are one buffer)", async () => {
    const model = await amqp.connect(URL);
    models.push(model);
    const { writes, received } = await burst(model);
    expect(received).toHaveLength(MESSAGES);
    expect(writes).toBeGreaterThanOrEqual(MESSAGES);
  });
});
