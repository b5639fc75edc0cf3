/**
 * Keyed list rendering: unchanged items keep their nodes (so a live region announces only new ones), changed
 * ones get a new node in place, and the order follows the items. Written against the few DOM members it
 * uses so that it runs on a fake in unit tests.
 */

/** The list element (the DOM's `firstChild` and `insertBefore`). */
export interface KeyedParent<C> {
  readonly firstChild: C | null;
  insertBefore(node: C, child: C | null): unknown;
}

/** A rendered item's node (the DOM's `nextSibling`, `replaceWith` and `remove`). */
export interface KeyedChild<C> {
  readonly nextSibling: C | null;
  replaceWith(node: C): void;
  remove(): void;
}

/**
 * Makes `parent`'s children the nodes of `items`, in order. `nodeFor` returns the current node to keep it or
 * a new node to replace it; `rendered` (key -> node) is the state kept between calls.
 */
export function reconcileKeyed<T, C, N extends C & KeyedChild<C>>(
  parent: KeyedParent<C>,
  items: readonly T[],
  keyOf: (item: T) => string,
  nodeFor: (item: T, current: N | undefined) => N,
  rendered: Map<string, N>,
): void {
  const keep = new Set<string>();
  let cursor: C | null = parent.firstChild;
  for (const item of items) {
    const key = keyOf(item);
    keep.add(key);
    const current = rendered.get(key);
    const node = nodeFor(item, current);
    if (current !== undefined && node !== current) {
      // Replacing the cursor detaches it: continue from the node that takes its place.
      if (current === cursor) cursor = node;
      current.replaceWith(node);
    }
    rendered.set(key, node);
    if (node !== cursor) parent.insertBefore(node, cursor);
    cursor = node.nextSibling;
  }
  for (const [key, node] of rendered) {
    if (!keep.has(key)) {
      node.remove();
      rendered.delete(key);
    }
  }
}
