/**
 * Secrets at ingest: what of an inbound message is kept (its subject, its visible text, its text attachments)
 * with every secret replaced by its marker before anything is stored, shown or sent. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import type { ParsedAttachment } from '../mail/types';
import { REDACTION_MARKERS, redactAllSecrets, redactSecrets, SECRET_KINDS, type SecretKind } from './detect';

/** An attachment after redaction: the same one, or a text attachment rewritten with markers. */
export type RedactedAttachment = ParsedAttachment & { redacted?: SecretKind[] };

export interface MailRedaction {
  subject: string;
  /**
   * The visible text as scanned (its first MAX_SCANNED_CHARS characters, far more than is ever stored), with
   * markers in place of secrets.
   */
  visibleText: string;
  attachments: RedactedAttachment[];
  /** Kinds removed from the subject, the text and the attachments, each once. */
  found: SecretKind[];
  /**
   * Where they were found, for the ticket's event: `subject`, `text`, `attachment`, `attachment name`,
   * `quoted text`, `HTML`, `names`.
   */
  where: string[];
}

export interface MailToRedact {
  subject: string;
  visibleText: string;
  /**
   * The whole text part, quoted history included, when it differs from the visible text: a secret there is
   * stored nowhere, but the raw message holding it must still leave the normal prefix.
   */
  fullText?: string;
  /**
   * The HTML part as sent. Only its words are scanned, the quoted history among them: its secrets are stored
   * nowhere (the visible text is rendered from it apart), but the raw message holding them must move.
   */
  html?: string;
  /** Display names of the sender and recipients: stored nowhere, but a secret there still moves the raw message. */
  names?: readonly string[];
  attachments: readonly ParsedAttachment[];
}

/**
 * Attachments read as text: every `text/*` type, JSON (a keystore file is JSON, often named `UTC--…` with no
 * extension), and files named like text whatever type the sender's client gave them.
 */
const TEXT_TYPES = /^(?:text\/|message\/(?:rfc822|global|partial)$|application\/(?:json|x-json|[\w.+-]*\+json)$)/;
const TEXT_NAMES = /(?:\.(?:txt|text|json|csv|tsv|md|log|asc|key|wallet|html?|xhtml)$|^utc--)/i;

const HTML_FILE = /^(?:text\/html|application\/xhtml\+xml)$/;
const HTML_NAME = /\.x?html?$/i;

export function isTextAttachment(attachment: Pick<ParsedAttachment, 'contentType' | 'filename'>): boolean {
  return TEXT_TYPES.test(attachment.contentType) || TEXT_NAMES.test(attachment.filename);
}

/** A file of another type (not a picture or a recording) is still read as text when it is small and decodes as text: `wallet-backup`, `seed`. */
const MAX_SNIFFED_BYTES = 1024 * 1024;

function looksLikeText(contentType: string, bytes: Buffer): boolean {
  if (/^(?:image|audio|video)\//.test(contentType)) return false;
  if (bytes.length === 0 || bytes.length > MAX_SNIFFED_BYTES) return false;
  if (utf16Encoding(bytes)) return true;
  const text = new TextDecoder('utf-8').decode(bytes);
  return !text.includes('\uFFFD') && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text);
}

/** Redacts what of `mail` is kept; see the module comment. */
export function redactInboundMail(mail: MailToRedact): MailRedaction {
  const subject = redactSecrets(mail.subject);
  const visible = redactSecrets(mail.visibleText);
  const found = new Set<SecretKind>([...subject.found, ...visible.found]);
  const where = [...(subject.found.length > 0 ? ['subject'] : []), ...(visible.found.length > 0 ? ['text'] : [])];
  const attachments = mail.attachments.map((original): RedactedAttachment => {
    // A file's name is stored and shown to staff like its text.
    const name = redactSecrets(original.filename);
    const attachment: RedactedAttachment = name.found.length > 0 ? { ...original, filename: name.text, redacted: name.found } : original;
    if (name.found.length > 0) {
      for (const kind of name.found) found.add(kind);
      if (!where.includes('attachment name')) where.push('attachment name');
    }
    if (!isTextAttachment(attachment) && !looksLikeText(attachment.contentType, contentOf(attachment))) return attachment;
    const redacted = redactTextAttachment(attachment);
    if (!redacted) return attachment;
    for (const kind of redacted.redacted ?? []) found.add(kind);
    if (!where.includes('attachment')) where.push('attachment');
    return { ...redacted, redacted: SECRET_KINDS.filter((kind) => redacted.redacted?.includes(kind) || name.found.includes(kind)) };
  });
  if (mail.fullText !== undefined && mail.fullText !== mail.visibleText) {
    const quoted = redactAllSecrets(mail.fullText).found;
    for (const kind of quoted) found.add(kind);
    if (quoted.some((kind) => !visible.found.includes(kind)) || (quoted.length > 0 && where.length === 0)) where.push('quoted text');
  }
  for (const [label, text] of [['HTML', mail.html === undefined ? undefined : wordsOfHtml(mail.html)], ['names', mail.names?.join('\n')]] as const) {
    if (!text) continue;
    const elsewhere = redactAllSecrets(text).found.filter((kind) => !found.has(kind));
    for (const kind of elsewhere) found.add(kind);
    if (elsewhere.length > 0) where.push(label);
  }
  return {
    subject: subject.text,
    visibleText: visible.text,
    attachments,
    found: SECRET_KINDS.filter((kind) => found.has(kind)),
    where,
  };
}

/**
 * The attachment rewritten as UTF-8 with markers, or undefined when it holds no secret. Its text is decoded as
 * UTF-8, or as GB18030 when that reads it with fewer undecodable bytes (Chinese text files are often GBK).
 */
function redactTextAttachment(attachment: ParsedAttachment): RedactedAttachment | undefined {
  const text = decodeText(contentOf(attachment));
  let { text: redacted, found } = redactAllSecrets(text);
  // A forwarded message's parts are often base64 or quoted-printable, and an HTML file's words are split by
  // tags: read decoded and as words, but then not rewritable in place, such a file is kept as its markers alone.
  const forwarded = attachment.contentType.startsWith('message/');
  if (found.length === 0 && (forwarded || HTML_FILE.test(attachment.contentType) || HTML_NAME.test(attachment.filename))) {
    const readable = forwarded ? decodedBodies(text) : text;
    found = redactAllSecrets(`${readable}\n${wordsOfHtml(readable)}`).found;
    redacted = found.map((kind) => REDACTION_MARKERS[kind]).join('\n');
  }
  if (found.length === 0) return undefined;
  const content = Buffer.from(redacted, 'utf8');
  return {
    ...attachment,
    contentType: attachment.contentType.startsWith('text/') ? `${attachment.contentType}; charset=utf-8` : attachment.contentType,
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    content: [content],
    redacted: found,
  };
}

const REPLACEMENT = /\uFFFD/g;

function contentOf(attachment: ParsedAttachment): Buffer {
  return attachment.content.length === 1 ? attachment.content[0]! : Buffer.concat(attachment.content);
}

/** UTF-16 as Windows writes text files: with a byte-order mark, or ASCII text with every other byte zero. */
function utf16Encoding(bytes: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes.length < 16) return undefined;
  const sample = bytes.subarray(0, 512);
  let oddZeros = 0;
  let evenZeros = 0;
  for (let index = 0; index < sample.length; index += 1) if (sample[index] === 0) index % 2 === 1 ? (oddZeros += 1) : (evenZeros += 1);
  const pairs = Math.floor(sample.length / 2);
  if (oddZeros > pairs * 0.4 && evenZeros === 0) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros === 0) return 'utf-16be';
  return undefined;
}

/**
 * The words of an HTML part: tags, styles and scripts out, entities decoded. Only scanned, never stored. A
 * single pass with indexOf: a regular expression for tags takes quadratic time on `<` without a `>`.
 */
function wordsOfHtml(html: string): string {
  const lower = html.toLowerCase();
  const words: string[] = [];
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    if (open < 0) {
      words.push(html.slice(at));
      break;
    }
    words.push(html.slice(at, open), ' ');
    const close = html.indexOf('>', open + 1);
    if (close < 0) {
      words.push(html.slice(open + 1));
      break;
    }
    at = close + 1;
    const hidden = /^<\s*(style|script)\b/i.exec(html.slice(open, open + 10))?.[1]?.toLowerCase();
    if (hidden) {
      const end = lower.indexOf(`</${hidden}`, at);
      if (end < 0) break;
      at = end;
    }
  }
  return words.join('').replace(/&(?:#(\d{1,7})|#x([\da-f]{1,6})|(nbsp|amp|lt|gt|quot|apos));/gi, (_, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name) return { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name.toLowerCase()] ?? ' ';
    const code = dec ? Number(dec) : parseInt(hex!, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
  });
}

/** A line of a base64 body (a line of one plain word is one too: decoding it only adds to what is scanned). */
const BASE64_LINE = /^[A-Za-z0-9+/]{4,}={0,2}$/;

/**
 * A message's bodies as a reader sees them, for scanning only: quoted-printable decoded, and each run of base64
 * lines decoded when it holds text (a picture or a PDF is skipped). Line by line, so a 20 MB forward costs one pass.
 */
function decodedBodies(message: string): string {
  const parts = [Buffer.from(message.replace(/=\r?\n/g, '').replace(/=([\da-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')];
  let run: string[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const bytes = Buffer.from(run.join(''), 'base64');
    run = [];
    if (looksLikeText('', bytes)) parts.push(decodeText(bytes));
  };
  for (const line of message.split(/\r?\n/)) {
    if (BASE64_LINE.test(line)) run.push(line);
    else flush();
  }
  flush();
  return parts.join('\n');
}

function decodeText(bytes: Buffer): string {
  const utf16 = utf16Encoding(bytes);
  if (utf16) return new TextDecoder(utf16).decode(bytes);
  const utf8 = new TextDecoder('utf-8').decode(bytes);
  const utf8Errors = utf8.match(REPLACEMENT)?.length ?? 0;
  if (utf8Errors === 0) return utf8;
  const gb = new TextDecoder('gb18030').decode(bytes);
  return (gb.match(REPLACEMENT)?.length ?? 0) < utf8Errors ? gb : utf8;
}
