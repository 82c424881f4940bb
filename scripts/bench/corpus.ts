/**
 * The mixed corpus pushed through the inbound path: new customer messages, follow-ups replying to
 * acknowledgements, real bounces, real client replies, real charset letters and malformed messages.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeMessage } from '../../tests/helpers/local-stack';
import { envelopeFromHeader } from '../cli/smtp-send';

export const CORPUS_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/corpus');

export type Kind = 'new' | 'follow-up' | 'bounce' | 'talon-reply' | 'charset' | 'malformed';
export const KINDS: readonly Kind[] = ['new', 'follow-up', 'bounce', 'talon-reply', 'charset', 'malformed'];

/** Share of each kind in a corpus of N messages. */
export const MIX: Readonly<Record<Kind, number>> = {
  new: 0.3,
  'follow-up': 0.2,
  bounce: 0.15,
  'talon-reply': 0.1,
  charset: 0.15,
  malformed: 0.1,
};

export interface CorpusItem {
  kind: Kind;
  /** File name or synthetic label, for failure messages. */
  label: string;
  raw: Buffer;
  /** SMTP MAIL FROM to put in the SES event ('' for a null sender). */
  source: string;
}

/** What a follow-up needs from the ticket it answers: the acknowledgement as the customer's client saw it. */
export interface FollowUpTarget {
  customer: string;
  customerMessageId: string;
  ackMessageId: string;
  ackSubject: string;
}

function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && accept(entry.name))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** `count` files spread evenly over the sorted list (deterministic), cycling when the list is shorter. */
function spread(files: readonly string[], count: number): string[] {
  if (files.length === 0 || count <= 0) return [];
  if (count <= files.length) {
    const step = files.length / count;
    return Array.from({ length: count }, (_, index) => files[Math.floor(index * step)] ?? files[0]!);
  }
  return Array.from({ length: count }, (_, index) => files[index % files.length]!);
}

export interface CorpusFiles {
  bounces: string[];
  talon: string[];
  charsets: string[];
  malformed: string[];
}

export function corpusFiles(): CorpusFiles {
  const eml = (name: string) => name.endsWith('.eml');
  return {
    bounces: listFiles(join(CORPUS_ROOT, 'bounces/sisimai/bsd'), eml),
    talon: listFiles(join(CORPUS_ROOT, 'replies/talon/standard_replies'), eml),
    charsets: listFiles(join(CORPUS_ROOT, 'charsets/letters'), (name) => name.endsWith('.txt')),
    malformed: [...listFiles(join(CORPUS_ROOT, 'malformed/stalwart/malformed'), eml), ...listFiles(join(CORPUS_ROOT, 'malformed/php-imap'), eml)],
  };
}

export function planMix(total: number): Record<Kind, number> {
  const counts = Object.fromEntries(KINDS.map((kind) => [kind, Math.floor(total * MIX[kind])])) as Record<Kind, number>;
  // Whatever rounding left over goes to new customer messages.
  counts.new += total - KINDS.reduce((sum, kind) => sum + counts[kind], 0);
  return counts;
}

/** End of the header block (offset of the blank line), in a latin1 view of the message. */
function headerEnd(text: string): number {
  const end = text.search(/\r?\n\r?\n/);
  return end === -1 ? text.length : end;
}

/**
 * Gives a corpus file a fresh Message-ID (every Message-ID line of the top-level header block, if any), so
 * that the same file delivered again in another phase, or twice in one, is a new message and not a re-delivery of the same
 * Message-ID by the same sender (which the pipeline rightly records as a duplicate). Bytes elsewhere are kept.
 */
export function withFreshMessageId(raw: Buffer, messageId: string): Buffer {
  const text = raw.toString('latin1');
  const end = headerEnd(text);
  const head = text.slice(0, end);
  const replaced = head.replace(/^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim, `Message-ID: ${messageId}`);
  return replaced === head ? raw : Buffer.from(replaced + text.slice(end), 'latin1');
}

/** SES's MAIL FROM stand-in: the topmost Return-Path (`<>` is the null sender), else the From address. */
export function envelopeSource(raw: Buffer): string {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const block = head.slice(0, headerEnd(head)).replace(/\r?\n[ \t]+/g, ' ');
  const returnPath = block.match(/^return-path:\s*<?([^>\s]*)>?/im);
  // `<>` and `<MAILER-DAEMON>` both mean the null sender.
  if (returnPath) return returnPath[1]?.includes('@') ? returnPath[1] : '';
  return envelopeFromHeader(raw) ?? 'unknown@bench.invalid';
}

const NEW_MESSAGE_TEXTS: ReadonlyArray<{ subject: string; text: string }> = [
  { subject: 'Withdrawal pending for 3 hours', text: 'My BTC withdrawal (order 8812231) has been pending since 10:02 UTC. Can you check?' },
  { subject: 'Deposit not credited', text: 'I sent 250 USDT on TRON at 14:20, tx hash 0x9f1c…, still not in my balance.' },
  { subject: 'KYC documents', text: 'How long does the KYC review take? I uploaded my passport yesterday.' },
  { subject: 'Account hacked', text: 'Someone logged in from another country and made an unauthorized withdrawal.' },
  { subject: '提现问题', text: '您好，我的提现一直在处理中，请帮忙查看。订单号 77120391。' },
  { subject: 'API key permissions', text: 'Which permission do I need to place futures orders through the API?' },
];

/** A new customer message from a sender not used elsewhere in the run (acknowledgements are capped per sender). */
export function newCustomerMessage(sender: string, index: number, tag: string): CorpusItem {
  const body = NEW_MESSAGE_TEXTS[index % NEW_MESSAGE_TEXTS.length]!;
  const raw = composeMessage({
    from: `Bench Customer ${index} <${sender}>`,
    subject: body.subject,
    text: body.text,
    messageId: `<new.${tag}.${index}@client.example>`,
  });
  return { kind: 'new', label: `new #${index} <${sender}>`, raw: Buffer.from(raw), source: sender };
}

/** The customer answers the acknowledgement; the client threads it on the id SES gave the acknowledgement. */
export function followUpMessage(target: FollowUpTarget, index: number, tag: string): CorpusItem {
  const raw = composeMessage({
    from: `Bench Customer <${target.customer}>`,
    subject: `Re: ${target.ackSubject}`,
    inReplyTo: target.ackMessageId,
    references: `${target.customerMessageId} ${target.ackMessageId}`,
    messageId: `<follow.${tag}.${index}@client.example>`,
    text: [
      'Here is the transaction hash you asked for: 0xabc123def456.',
      '',
      'On Sat, Nov 21, 2026 at 10:00 AM Concierge Support <support@concierge.test> wrote:',
      '> Hello,',
      '> We have received your message and opened a ticket.',
    ].join('\r\n'),
  });
  return { kind: 'follow-up', label: `follow-up #${index} <${target.customer}>`, raw: Buffer.from(raw), source: target.customer };
}

function fileItem(kind: Kind, path: string, index: number, tag: string): CorpusItem {
  const raw = withFreshMessageId(readFileSync(path), `<${kind}.${tag}.${index}@bench.invalid>`);
  return { kind, label: path.slice(CORPUS_ROOT.length + 1), raw, source: envelopeSource(raw) };
}

/** Deterministic shuffle (mulberry32), so every phase sees the same interleaving of kinds. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

/**
 * A mixed corpus of `counts` messages for one phase. `tag` keeps senders and Message-IDs distinct between
 * phases; `followUps` are tickets opened beforehand (one per follow-up, so concurrent follow-ups never race
 * for the same ticket).
 */
export function buildCorpus(counts: Record<Kind, number>, tag: string, files: CorpusFiles, followUps: readonly FollowUpTarget[]): CorpusItem[] {
  if (followUps.length < counts['follow-up']) throw new Error(`need ${counts['follow-up']} follow-up targets, got ${followUps.length}`);
  const items: CorpusItem[] = [];
  for (let index = 0; index < counts.new; index += 1) items.push(newCustomerMessage(`new.${tag}.${index}@customer.example`, index, tag));
  for (let index = 0; index < counts['follow-up']; index += 1) items.push(followUpMessage(followUps[index]!, index, tag));
  spread(files.bounces, counts.bounce).forEach((path, index) => items.push(fileItem('bounce', path, index, tag)));
  spread(files.talon, counts['talon-reply']).forEach((path, index) => items.push(fileItem('talon-reply', path, index, tag)));
  spread(files.charsets, counts.charset).forEach((path, index) => items.push(fileItem('charset', path, index, tag)));
  spread(files.malformed, counts.malformed).forEach((path, index) => items.push(fileItem('malformed', path, index, tag)));
  return shuffle(items, 20_261_121);
}
