import { describe, expect, it } from 'vitest';
import { addToSetMap, deleteFromSetMap } from './set-map.js';

describe('set map', () => {
  it('groups values by key and drops a key with its last value', () => {
    const map = new Map<string, Set<string>>();
    addToSetMap(map, 'room', 'a');
    addToSetMap(map, 'room', 'b');
    addToSetMap(map, 'room', 'a');
    addToSetMap(map, 'other', 'c');
    expect([...(map.get('room') ?? [])]).toEqual(['a', 'b']);
    expect(deleteFromSetMap(map, 'room', 'a')).toBe(true);
    expect(deleteFromSetMap(map, 'room', 'a')).toBe(false);
    expect(deleteFromSetMap(map, 'missing', 'a')).toBe(false);
    expect(deleteFromSetMap(map, 'room', 'b')).toBe(true);
    expect(map.has('room')).toBe(false);
    expect(map.size).toBe(1);
  });
});
