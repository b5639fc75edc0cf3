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

// Run as its own process: the TypeScript file, or its bundle (bench/lib/built-peer.mjs). When bundled into
// the edge peer, argv[1] is the edge's file.
if (/switchboard-services\.(ts|mjs)$/.test(process.argv[1] ?? '')) {
  const opts = args() as Record<string, string | undefined>;
  const transport = await connectBus(opts.bus ?? 'memory', { clientName: `bench-services-${process.pid}` });
  const stop = await startServices(transport);
  process.send?.({ type: 'ready', pid: process.pid });
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
}
