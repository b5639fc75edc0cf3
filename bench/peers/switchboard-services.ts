/**
 * The chat and history services for the roundtrip scenario, with in-memory stores (the store is not what
 * is measured). Run standalone (`--bus URL`) as their own process, or imported by switchboard-edge.ts
 * for the memory bus.
 */
import { connectBus, type Transport } from '@switchboard/bus';
import { createChatService, MemoryChatStore } from '@switchboard/chat';
import { createHistoryService, MemoryHistoryStore } from '@switchboard/history';
import { args } from '../lib/pub-driver.mjs';

export async function startServices(transport: Transport): Promise<() => Promise<void>> {
  const chatStore = new MemoryChatStore();
  await chatStore.createRoom('bench');
  const history = createHistoryService({
    transport,
    store: new MemoryHistoryStore({ maxPerChannel: 1000, ttlMs: 3_600_000 }),
    httpPort: false,
  });
  const chat = createChatService({
    transport,
    store: chatStore,
    httpPort: false,
    ratePerUserPerSecond: 100_000,
  });
  await history.start();
  await chat.start();
  return async () => {
    await chat.stop();
    await history.stop();
  };
}

if (process.argv[1]?.endsWith('switchboard-services.ts')) {
  const opts = args() as Record<string, string | undefined>;
  const transport = await connectBus(opts.bus ?? 'memory', { clientName: `bench-services-${process.pid}` });
  const stop = await startServices(transport);
  process.send?.({ type: 'ready', pid: process.pid });
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
}
