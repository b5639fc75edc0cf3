import { describe, expect, it } from 'vitest';
import { reconcileKeyed } from './app/keyed-list.js';

/** A fake of the few DOM members the keyed list uses; insertBefore throws like the DOM for a stranger. */
class FakeNode {
  parent: FakeList | undefined;
  constructor(readonly label: string) {}
  get nextSibling(): FakeNode | null {
    if (!this.parent) return null;
    return this.parent.children[this.parent.children.indexOf(this) + 1] ?? null;
  }
  replaceWith(node: FakeNode): void {
    const parent = this.parent;
    if (!parent) return;
    node.remove();
    parent.children.splice(parent.children.indexOf(this), 1, node);
    node.parent = parent;
    this.parent = undefined;
  }
  remove(): void {
    if (!this.parent) return;
    this.parent.children.splice(this.parent.children.indexOf(this), 1);
    this.parent = undefined;
  }
}

class FakeList {
  readonly children: FakeNode[] = [];
  get firstChild(): FakeNode | null {
    return this.children[0] ?? null;
  }
  insertBefore(node: FakeNode, child: FakeNode | null): FakeNode {
    if (child && child.parent !== this)
      throw new Error("Failed to execute 'insertBefore': the node before which to insert is not a child");
    node.remove();
    this.children.splice(child ? this.children.indexOf(child) : this.children.length, 0, node);
    node.parent = this;
    return node;
  }
  get labels(): string[] {
    return this.children.map((n) => n.label);
  }
}

interface Item {
  id: string;
  status: string;
}

describe('keyed list', () => {
  const setup = () => {
    const list = new FakeList();
    const rendered = new Map<string, FakeNode>();
    const shown = new WeakMap<FakeNode, Item>();
    const render = (items: Item[]) =>
      reconcileKeyed<Item, FakeNode, FakeNode>(
        list,
        items,
        (item) => item.id,
        (item, current) => {
          if (current && shown.get(current)?.status === item.status) return current;
          const node = new FakeNode(`${item.id}:${item.status}`);
          shown.set(node, item);
          return node;
        },
        rendered,
      );
    return { list, render };
  };

  it('re-renders the item at the cursor in place (pending -> sent) without throwing', () => {
    const { list, render } = setup();
    render([
      { id: 'a', status: 'sent' },
      { id: 'b', status: 'pending' },
    ]);
    const a = list.children[0];
    expect(list.labels).toEqual(['a:sent', 'b:pending']);
    render([
      { id: 'a', status: 'sent' },
      { id: 'b', status: 'sent' },
    ]);
    expect(list.labels).toEqual(['a:sent', 'b:sent']);
    expect(list.children[0]).toBe(a);
    // The first item, a cursor followed by others, changes too.
    render([
      { id: 'a', status: 'edited' },
      { id: 'b', status: 'sent' },
      { id: 'c', status: 'pending' },
    ]);
    expect(list.labels).toEqual(['a:edited', 'b:sent', 'c:pending']);
  });

  it('keeps unchanged nodes, follows reordering and removes dropped items', () => {
    const { list, render } = setup();
    render([
      { id: 'a', status: 'sent' },
      { id: 'b', status: 'sent' },
      { id: 'c', status: 'sent' },
    ]);
    const [a, b, c] = list.children;
    render([
      { id: 'c', status: 'sent' },
      { id: 'x', status: 'pending' },
      { id: 'a', status: 'failed' },
    ]);
    expect(list.labels).toEqual(['c:sent', 'x:pending', 'a:failed']);
    expect(list.children[0]).toBe(c);
    expect(list.children).not.toContain(a);
    expect(b?.parent).toBeUndefined();
  });
});
