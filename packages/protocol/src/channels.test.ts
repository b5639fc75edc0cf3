import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidChannel, MAX_CHANNEL_LENGTH, parseChannel } from './channels.js';
import { CloseCode, shouldReconnect } from './close-codes.js';
import { ChannelNameError } from './errors.js';
import { shouldResubscribe, UnsubscribeCode } from './unsubscribe-codes.js';

describe('channel names', () => {
  it('classifies namespaces', () => {
    expect(parseChannel('news')).toMatchObject({ kind: 'public', namespace: '' });
    expect(parseChannel('chat:room-1')).toMatchObject({ kind: 'public', namespace: 'chat' });
    expect(parseChannel('user:42')).toMatchObject({ kind: 'user', owner: '42' });
    expect(parseChannel('private-orders')).toMatchObject({ kind: 'private' });
    expect(parseChannel('chat:presence-lobby')).toMatchObject({ kind: 'presence', namespace: 'chat' });
  });

  it('finds private- and presence- in any segment, so a deeper namespace cannot hide them', () => {
    expect(parseChannel('a:b:private-c')).toMatchObject({ kind: 'private', namespace: 'a' });
    expect(parseChannel(':private-c')).toMatchObject({ kind: 'private', namespace: '' });
    expect(parseChannel('private-x:room')).toMatchObject({ kind: 'private', namespace: 'private-x' });
    expect(parseChannel('a:b:presence-c')).toMatchObject({ kind: 'presence', namespace: 'a' });
    expect(parseChannel('a:presence-b:private-c')).toMatchObject({ kind: 'private' });
    expect(parseChannel('a:b:c')).toMatchObject({ kind: 'public', namespace: 'a' });
    expect(parseChannel('a:b:xprivate-c')).toMatchObject({ kind: 'public' });
  });

  it('never classifies a name with a private- segment as anything but private', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_\-.@=,;+]{0,12}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 4 }),
        fc.array(segment, { maxLength: 4 }),
        (before, after) => {
          const name = [...before, 'private-x', ...after].join(':');
          fc.pre(!name.startsWith('user:'));
          expect(parseChannel(name).kind).toBe('private');
        },
      ),
    );
  });

  it('rejects bad names with the broken rule', () => {
    expect(() => parseChannel('')).toThrow(/empty/);
    expect(() => parseChannel('a'.repeat(MAX_CHANNEL_LENGTH + 1))).toThrow(/longer than 255/);
    expect(() => parseChannel('room 1')).toThrow(ChannelNameError);
    expect(() => parseChannel('room#1')).toThrow(/characters outside/);
    expect(() => parseChannel('user:')).toThrow(/needs a user id/);
  });

  it('never throws anything but ChannelNameError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (name) => {
        try {
          parseChannel(name);
          expect(isValidChannel(name)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ChannelNameError);
          expect(isValidChannel(name)).toBe(false);
        }
      }),
    );
  });
});

describe('close codes', () => {
  it('tells clients whether to reconnect', () => {
    expect(shouldReconnect(CloseCode.Shutdown)).toBe(true);
    expect(shouldReconnect(CloseCode.SlowConsumer)).toBe(true);
    expect(shouldReconnect(CloseCode.TokenExpired)).toBe(true);
    expect(shouldReconnect(CloseCode.InvalidToken)).toBe(false);
    expect(shouldReconnect(CloseCode.ForceDisconnect)).toBe(false);
    expect(shouldReconnect(CloseCode.MessageTooBig)).toBe(false);
    expect(shouldReconnect(1006)).toBe(true);
  });
});

describe('unsubscribe codes', () => {
  it('tells clients whether to subscribe again', () => {
    expect(shouldResubscribe(UnsubscribeCode.InsufficientState)).toBe(true);
    expect(shouldResubscribe(2999)).toBe(true);
    expect(shouldResubscribe(UnsubscribeCode.Requested)).toBe(false);
    expect(shouldResubscribe(2000)).toBe(false);
    expect(shouldResubscribe(3000)).toBe(false);
  });
});
