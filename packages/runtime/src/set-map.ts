/**
 * A map from a key to a set of values, kept without empty sets (so `map.size` counts keys that have
 * values): the index shape of the edge (channel -> connections), presence (channel -> connection ids) and
 * notifications (user -> connection ids). Two functions over a plain Map, so each keeps its own Map and
 * reads it directly on its hot path.
 */

/** Adds `value` to the set of `key`, creating the set on first use. */
export function addToSetMap<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

/** Removes `value` from the set of `key`, and the key with its last value; true when `value` was there. */
export function deleteFromSetMap<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = map.get(key);
  if (!set?.delete(value)) return false;
  if (set.size === 0) map.delete(key);
  return true;
}
