/** Small DOM helpers: find by data-testid, create elements. */
export function byTestId<T extends HTMLElement = HTMLElement>(
  testId: string,
  root: ParentNode = document,
): T {
  const found = root.querySelector<T>(`[data-testid="${testId}"]`);
  if (!found) throw new Error(`missing element [data-testid="${testId}"]`);
  return found;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'className') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children);
  return el;
}

export function setHidden(el: HTMLElement, hidden: boolean): void {
  if (el.hidden !== hidden) el.hidden = hidden;
}

export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function timeElement(ms: number): HTMLTimeElement {
  const date = new Date(ms);
  return h('time', { datetime: date.toISOString(), title: fullFormat.format(date) }, timeFormat.format(date));
}
