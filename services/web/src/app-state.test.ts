import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from './app/codec.js';
import {
  addNotice,
  type ChatMessage,
  confirmMessage,
  deleteMessage,
  editMessage,
  failMessage,
  markNoticeRead,
  parseChatMessage,
  parseHealth,
  parseNotice,
  parseRooms,
  presenceFromList,
  presenceJoin,
  presenceLeave,
  typingText,
  typingUsers,
  unreadCount,
  upsertMessage,
} from './app/state.js';
import { Store } from './app/store.js';

const msg = (id: string, time: number, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  room: 'lobby',
  text: id,
  user: 'bob',
  time,
  status: 'sent',
  ...extra,
});

describe('page state', () => {
  it('round-trips JSON payloads as UTF-8 and tolerates garbage', () => {
    expect(decodeJson(encodeJson({ text: 'héllo ✓' }))).toEqual({ text: 'héllo ✓' });
    expect(decodeJson(new Uint8Array([0xff, 0x00]))).toBeUndefined();
    expect(decodeJson(new Uint8Array())).toBeUndefined();
  });

  it('parses chat.message payloads', () => {
    expect(parseChatMessage({ id: 'm1', room: 'lobby', text: 'hi', user: 'bob', time: 5 }, 1)).toEqual(
      msg('m1', 5, { text: 'hi' }),
    );
    expect(
      parseChatMessage({ id: 'm1', text: 'hi', user: 'bob', time: '1970-01-01T00:00:01Z' }, 1)?.time,
    ).toBe(1000);
    expect(parseChatMessage({ text: 'no id' }, 1)).toBeUndefined();
  });

  it('keeps messages ordered by time, de-duplicated, and confirms own pending ones', () => {
    let list = upsertMessage([], msg('b', 2));
    list = upsertMessage(list, msg('a', 1));
    list = upsertMessage(list, msg('c', 3));
    expect(list.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(upsertMessage(list, msg('b', 2))).toBe(list);

    list = upsertMessage(list, msg('local:x', 4, { clientMsgId: 'x', user: 'me', status: 'pending' }));
    list = confirmMessage(list, 'x', 'd');
    expect(list.at(-1)).toMatchObject({ id: 'd', status: 'sent', clientMsgId: 'x' });
    // The same message arriving on the channel does not duplicate it.
    list = upsertMessage(list, msg('d', 4, { user: 'me', text: 'local:x' }));
    expect(list.filter((m) => m.id === 'd')).toHaveLength(1);

    list = upsertMessage(list, msg('local:y', 5, { clientMsgId: 'y', status: 'pending' }));
    expect(failMessage(list, 'y').at(-1)?.status).toBe('failed');
    expect(editMessage(list, 'a', 'new')[0]).toMatchObject({ text: 'new', edited: true });
    expect(deleteMessage(list, 'a').map((m) => m.id)).not.toContain('a');
    expect(upsertMessage([msg('a', 1), msg('b', 2)], msg('c', 3), 2).map((m) => m.id)).toEqual(['b', 'c']);
  });

  it('tracks typing and presence', () => {
    expect(typingUsers({ ann: 10, bob: 5 }, 6)).toEqual(['ann']);
    expect(typingText(['ann'])).toBe('ann is typing…');
    expect(typingText(['ann', 'bob', 'cid'])).toBe('3 people are typing…');

    let members = presenceFromList([
      { userId: 'bob', connectionId: 'c1' },
      { userId: 'ann', connectionId: 'c2' },
      { userId: 'bob', connectionId: 'c3' },
    ]);
    expect(members).toEqual([
      { userId: 'ann', connections: ['c2'] },
      { userId: 'bob', connections: ['c1', 'c3'] },
    ]);
    members = presenceLeave(members, 'bob', 'c1');
    expect(members.map((m) => m.userId)).toEqual(['ann', 'bob']);
    members = presenceLeave(members, 'bob', 'c3');
    expect(members.map((m) => m.userId)).toEqual(['ann']);
    expect(presenceJoin(members, 'ann', 'c2')).toBe(members);
  });

  it('keeps notifications newest first with unread state', () => {
    const push = (id: string, timeMs: number) => ({ id, type: 'order.shipped', timeMs, requiresAck: true });
    const first = parseNotice(push('n1', 1), { title: 'Shipped', body: 'On its way', orderId: 'A-1' }, 0);
    expect(first).toMatchObject({ title: 'Shipped', body: 'On its way', orderId: 'A-1', read: false });
    expect(parseNotice(push('n0', 0), undefined, 7)).toMatchObject({ title: 'Order shipped', timeMs: 7 });

    let list = addNotice([], first);
    list = addNotice(list, parseNotice(push('n2', 2), { orderId: 'A-2' }, 0));
    expect(addNotice(list, first)).toBe(list);
    expect(list.map((n) => n.id)).toEqual(['n2', 'n1']);
    expect(unreadCount(list)).toBe(2);
    list = markNoticeRead(list, 'n1');
    expect(unreadCount(list)).toBe(1);
  });

  it('reads /stats.json and chat.rooms leniently', () => {
    expect(
      parseHealth({
        connections: 2,
        messagesPerSecond: 0.5,
        nodes: ['a', { nodeId: 'b', connections: 2, ready: true }],
      }),
    ).toEqual({
      connections: 2,
      messagesPerSecond: 0.5,
      nodes: [
        { id: 'a', detail: '' },
        { id: 'b', detail: '2 conn. · ready' },
      ],
    });
    expect(parseHealth(null)).toEqual({ nodes: [] });
    expect(parseRooms(['b', 'a', 'a'])).toEqual(['a', 'b']);
    expect(parseRooms({ rooms: [{ room: 'x' }, { name: 'y' }, 'bad room'] })).toEqual(['x', 'y']);
  });

  it('store notifies subscribers with the previous state', () => {
    const store = new Store({ a: 1, b: 'x' });
    const seen: [number, number][] = [];
    const off = store.subscribe((s, p) => seen.push([s.a, p.a]));
    store.update({ a: 2 });
    store.update((s) => ({ a: s.a + 1 }));
    off();
    store.update({ a: 9 });
    expect(seen).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(store.state).toEqual({ a: 9, b: 'x' });
  });
});
