/**
 * One pass over JSON text before `JSON.parse`, so a depth bomb (`[[[[…`, 10,000 levels) is refused without
 * building the structure or recursing into it. It allocates nothing and is linear in the text; anything
 * that is not JSON is left for `JSON.parse` to refuse.
 */

/** Why `text` nests objects/arrays deeper than `maxDepth`, or undefined when it does not. */
export function nestingProblem(text: string, maxDepth: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return `objects and arrays nested deeper than ${maxDepth} (maxDepth)`;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return undefined;
}
