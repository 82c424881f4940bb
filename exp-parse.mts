import { parseInboundMail } from './functions/mail/parse';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
function walk(d: string): string[] { return readdirSync(d).flatMap(f => { const p = join(d, f); return statSync(p).isDirectory() ? walk(p) : [p]; }); }
const files = [...walk('../shared/corpus/malformed'), ...walk('../shared/corpus/pathological')].filter(f => !/\.(json|md)$|LICENSE/i.test(f));
let worst = 0; const outcomes: Record<string, number> = {};
for (const f of files) {
  const t = performance.now();
  let o = 'ok';
  try { await parseInboundMail(readFileSync(f)); } catch (e) { o = (e as Error).name + ':' + ((e as any).limit ?? (e as Error).message.slice(0, 50)); }
  const ms = performance.now() - t; worst = Math.max(worst, ms);
  outcomes[o] = (outcomes[o] ?? 0) + 1;
  if (ms > 300 || o !== 'ok') console.log(f.replace('../shared/corpus/', ''), o, ms.toFixed(0), statSync(f).size);
}
console.log(files.length, 'worst', worst.toFixed(0), outcomes);
