/**
 * The behaviour every ChatStore shares, run against MemoryChatStore (unit) and RedisChatStore
 * (integration). `make` returns a fresh, empty store; the caller closes what it made.
 */
import { expect, it } from 'vitest';
import type { ChatStore } from './chat-store.js';

export function chatStoreContract(make: () => Promise<ChatStore>): void {
  it('creates rooms once and lists them sorted', async () => {
    const store = await make();
    expect(await store.createRoom('lobby')).toBe(true);
    expect(await store.createRoom('lobby')).toBe(false);
    expect(await store.createRoom('general')).toBe(true);
    expect(await store.hasRoom('lobby')).toBe(true);
    expect(await store.hasRoom('nope')).toBe(false);
    expect(await store.listRooms()).toEqual(['general', 'lobby']);
  });

  it('counts message sequence numbers per room', async () => {
    const store = await make();
    expect([await store.nextSeq('a'), await store.nextSeq('a'), await store.nextSeq('b')]).toEqual([1, 2, 1]);
  });

  it('keeps message authorship and marks a message deleted once', async () => {
    const store = await make();
    await store.saveMessage({ id: 'lobby-1', room: 'lobby', author: 'alice' });
    expect(await store.getMessage('lobby-1')).toEqual({
      id: 'lobby-1',
      room: 'lobby',
      author: 'alice',
      deleted: false,
    });
    expect(await store.getMessage('lobby-2')).toBeUndefined();
    expect(await store.markDeleted('lobby-1')).toBe(true);
    expect(await store.markDeleted('lobby-1')).toBe(false);
    expect(await store.markDeleted('lobby-2')).toBe(false);
    expect((await store.getMessage('lobby-1'))?.deleted).toBe(true);
  });

  it('remembers client message ids per author', async () => {
    const store = await make();
    await store.rememberClientMsgId('alice', 'c-1', 'lobby-7');
    expect(await store.findByClientMsgId('alice', 'c-1')).toBe('lobby-7');
    expect(await store.findByClientMsgId('bob', 'c-1')).toBeUndefined();
    await store.rememberClientMsgId('a', 'b:c', 'x-1');
    expect(await store.findByClientMsgId('a:b', 'c')).toBeUndefined();
  });

  it('tracks room members', async () => {
    const store = await make();
    expect(await store.addMember('lobby', 'bob')).toBe(true);
    expect(await store.addMember('lobby', 'alice')).toBe(true);
    expect(await store.addMember('lobby', 'alice')).toBe(false);
    expect(await store.members('lobby')).toEqual(['alice', 'bob']);
    expect(await store.removeMember('lobby', 'bob')).toBe(true);
    expect(await store.removeMember('lobby', 'bob')).toBe(false);
    expect(await store.members('lobby')).toEqual(['alice']);
    expect(await store.members('other')).toEqual([]);
  });
}
