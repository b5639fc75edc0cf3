import { describe, expect, it } from 'vitest';
import { chatStoreContract } from './chat-store-contract.js';
import { MemoryChatStore } from './memory-chat-store.js';

describe('MemoryChatStore', () => {
  chatStoreContract(async () => new MemoryChatStore());

  it('forgets the oldest message records past maxMessages', async () => {
    const store = new MemoryChatStore({ maxMessages: 2 });
    for (const id of ['r-1', 'r-2', 'r-3']) await store.saveMessage({ id, room: 'r', author: 'alice' });
    expect(await store.getMessage('r-1')).toBeUndefined();
    expect((await store.getMessage('r-3'))?.author).toBe('alice');
  });
});
