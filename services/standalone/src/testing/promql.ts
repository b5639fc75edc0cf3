/**
 * Metric names in PromQL expressions (the dashboard's and the alert rules'), and a check of those names
 * against what processes export — for the test that keeps deploy/ in step with the code.
 */

/** Keywords and modifiers that look like identifiers but are not metrics. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'atan2',
  'group_left',
  'group_right',
]);
/** Series Prometheus makes itself: present without any process exporting them. */
export const PROMETHEUS_OWN = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'ALERTS']);

/** The metric names an expression selects (functions, label matchers, ranges, `by (…)` lists removed). */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals (label values)
    .replace(/\$\{[^}]*\}|\$\w+/g, '') // Grafana variables ($node, ${datasource}, $__rate_interval)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names = new Set<string>();
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const start = match.index;
    if (/[0-9.]/.test(bare[start - 1] ?? '')) continue; // the exponent or unit of a number: 1e3, 5m
    if (
      bare
        .slice(start + name.length)
        .trimStart()
        .startsWith('(')
    )
      continue; // a function or aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** `# TYPE name type` lines of a Prometheus text exposition. */
export function declaredFamilies(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Names with at least one sample line. */
export function sampledNames(text: string): Set<string> {
  return new Set([...text.matchAll(/^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/gm)].map((m) => m[1]!));
}

/**
 * Why `name` is not exported, or undefined when it is: a family of that name, or a histogram's
 * `_bucket`/`_sum`/`_count` series (a summary's `_sum`/`_count`).
 */
export function missing(name: string, families: ReadonlyMap<string, string>): string | undefined {
  if (PROMETHEUS_OWN.has(name) || families.has(name)) return undefined;
  const suffix = /_(bucket|sum|count)$/.exec(name);
  if (suffix) {
    const type = families.get(name.slice(0, -suffix[0].length));
    if (type === 'histogram' || (type === 'summary' && suffix[1] !== 'bucket')) return undefined;
    if (type) return `${name}: ${name.slice(0, -suffix[0].length)} is a ${type}, not a histogram`;
  }
  return `${name}: no process exports it`;
}
