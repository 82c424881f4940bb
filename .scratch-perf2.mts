import { parseDocument } from 'htmlparser2';
for (const n of [10000, 20000, 30000, 40000]) {
  const html = '<b>'.repeat(n) + 'x';
  let a = performance.now(); parseDocument(html); const p = performance.now() - a;
  const html3 = '<table><tr><td>'.repeat(n/3) + 'x';
  a = performance.now(); parseDocument(html3); const p3 = performance.now() - a;
  console.log(n, 'nested parse', p.toFixed(0), 'table', p3.toFixed(0));
}
