/** `node bench/lib/top-profile.mjs <file.cpuprofile|dir> [n]`: self time per function, biggest profile of a dir. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

let file = process.argv[2];
if (statSync(file).isDirectory()) {
  const files = readdirSync(file, { recursive: true })
    .filter((f) => String(f).endsWith('.cpuprofile'))
    .map((f) => join(file, String(f)));
  file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
p.samples.forEach((id, i) => {
  const n = byId.get(id);
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-3).join('/')}:${f.lineNumber + 1}`;
  const t = p.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + t);
  total += t;
});
console.log(file);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 20)))
  console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
