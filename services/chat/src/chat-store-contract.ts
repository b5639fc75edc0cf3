/**
 * The behaviour every ChatStore shares, run against MemoryChatStore (unit) and RedisChatStore
 * (integration). `make` returns a fresh, empty store; the caller closes what it made.
 */
import { expect, it } from 'vitest';
import type { ChatStore } from './chat-store.js';

export function chatStoreContract(make: () => Promise<ChatStore>): void {
  it('creates rooms once and lists them most recently active first, with the total', async () => {
    const store = await make();
    expect(await store.createRoom('lobby', { atMs: 1_000 })).toBe('created');
    expect(await store.createRoom('lobby', { atMs: 5_000 })).toBe('exists');
    expect(await store.createRoom('general', { atMs: 2_000 })).toBe('created');
    expect(await store.createRoom('random', { atMs: 3_000 })).toBe('created');
    expect(await store.hasRoom('lobby')).toBe(true);
    expect(await store.hasRoom('nope')).toBe(false);
    expect(await store.listRooms(10)).toEqual({ rooms: ['random', 'general', 'lobby'], total: 3 });
    await store.touchRoom('lobby', 4_000);
    await store.touchRoom('random', 500); // older than what is known: no change
    expect(await store.listRooms(2)).toEqual({ rooms: ['lobby', 'random'], total: 3 });
    expect(await store.listRooms(0)).toEqual({ rooms: [], total: 3 });
  });

  it('refuses a room past maxRooms, and lets existing ones be found', async () => {
    const store = await make();
    expect(await store.createRoom('a', { maxRooms: 2 })).toBe('created');
    expect(await store.createRoom('b', { maxRooms: 2 })).toBe('created');
    expect(await store.createRoom('c', { maxRooms: 2 })).toBe('full');
    expect(await store.createRoom('a', { maxRooms: 2 })).toBe('exists');
    expect(await store.hasRoom('c')).toBe(false);
    expect((await store.listRooms(10)).total).toBe(2);
    // Without a bound (rooms from the configuration) creation always succeeds.
    expect(await store.createRoom('c')).toBe('created');
  });

  it('orders rooms active at the same time by name, descending', async () => {
    const store = await make();
    for (const room of ['b', 'a', 'c']) await store.createRoom(room, { atMs: 1_000 });
    expect((await store.listRooms(10)).rooms).toEqual(['c', 'b', 'a']);
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
