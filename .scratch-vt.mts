import { readFileSync, readdirSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { extractVisibleText } from './functions/mail/visible-text';
const R = '/work/shared/corpus/replies';
for (const f of readdirSync(`${R}/talon/standard_replies`).filter((f) => f.endsWith('.eml'))) {
  const m = await simpleParser(readFileSync(`${R}/talon/standard_replies/${f}`));
  console.log('T', f, JSON.stringify(extractVisibleText({ text: m.text, html: m.html || undefined })));
}
for (const f of readdirSync(`${R}/talon/html_replies`)) {
  const r = extractVisibleText({ html: readFileSync(`${R}/talon/html_replies/${f}`, 'utf8') });
  console.log('H', f, r.replace(/\s+/g, '') === 'Hi.Iamfine.Thanks,Alex' ? 'OK' : 'BAD', JSON.stringify(r));
}
const C = 'Fusce bibendum';
for (const f of readdirSync(`${R}/crisp`).filter((f) => f.endsWith('.txt'))) {
  const t = readFileSync(`${R}/crisp/${f}`, 'utf8');
  const r = extractVisibleText({ text: t });
  const s = r.startsWith(C) ? 'COMMON' + (r.length === 480 ? '' : '+' + JSON.stringify(r.slice(480))) : JSON.stringify(r.length > 300 ? r.slice(0, 300) + '…' : r);
  console.log('C', f, s);
}
