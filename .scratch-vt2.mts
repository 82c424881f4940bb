import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
const m = await simpleParser(readFileSync('/work/shared/corpus/replies/talon/standard_replies/thunderbird.eml'));
console.log(JSON.stringify(m.text), JSON.stringify(m.html));
