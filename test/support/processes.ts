/** Process helpers for tests that start whole process trees (topology, failover). Linux: reads /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/** Live processes whose process group is one of `pgids` (each topology process leads its own group). */
export function groupMembers(pgids: number[]): number[] {
  const wanted = new Set(pgids.map(String));
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && wanted.has(fields[2]!)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
