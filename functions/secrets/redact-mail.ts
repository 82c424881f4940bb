/**
 * Secrets at ingest: what of an inbound message is kept (its subject, its visible text, its text attachments)
 * with every secret replaced by its marker before anything is stored, shown or sent. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import type { ParsedAttachment } from '../mail/types';
import { redactAllSecrets, redactSecrets, SECRET_KINDS, type SecretKind } from './detect';

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
  /** Where they were found, for the ticket's event: `subject`, `text`, `attachment`, `quoted text`. */
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
  attachments: readonly ParsedAttachment[];
}

/**
 * Attachments read as text: any `text/*`, JSON (a keystore file is JSON, often named `UTC--…` with no
 * extension), and files named like text whatever type the sender's client gave them.
 */
const TEXT_TYPES = /^(?:text\/|application\/(?:json|x-json|[\w.+-]*\+json)$)/;
const TEXT_NAMES = /(?:\.(?:txt|text|json|csv|tsv|md|log|asc|key|wallet)$|^utc--)/i;

export function isTextAttachment(attachment: Pick<ParsedAttachment, 'contentType' | 'filename'>): boolean {
  return TEXT_TYPES.test(attachment.contentType) || TEXT_NAMES.test(attachment.filename);
}

/** Redacts what of `mail` is kept; see the module comment. */
export function redactInboundMail(mail: MailToRedact): MailRedaction {
  const subject = redactSecrets(mail.subject);
  const visible = redactSecrets(mail.visibleText);
  const found = new Set<SecretKind>([...subject.found, ...visible.found]);
  const where = [...(subject.found.length > 0 ? ['subject'] : []), ...(visible.found.length > 0 ? ['text'] : [])];
  const attachments = mail.attachments.map((attachment): RedactedAttachment => {
    if (!isTextAttachment(attachment)) return attachment;
    const redacted = redactTextAttachment(attachment);
    if (!redacted) return attachment;
    for (const kind of redacted.redacted ?? []) found.add(kind);
    if (!where.includes('attachment')) where.push('attachment');
    return redacted;
  });
  if (mail.fullText !== undefined && mail.fullText !== mail.visibleText) {
    const quoted = redactAllSecrets(mail.fullText).found;
    for (const kind of quoted) found.add(kind);
    if (quoted.some((kind) => !visible.found.includes(kind)) || (quoted.length > 0 && where.length === 0)) where.push('quoted text');
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
  const bytes = attachment.content.length === 1 ? attachment.content[0]! : Buffer.concat(attachment.content);
  const text = decodeText(bytes);
  const { text: redacted, found } = redactAllSecrets(text);
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

function decodeText(bytes: Buffer): string {
  const utf8 = new TextDecoder('utf-8').decode(bytes);
  const utf8Errors = utf8.match(REPLACEMENT)?.length ?? 0;
  if (utf8Errors === 0) return utf8;
  const gb = new TextDecoder('gb18030').decode(bytes);
  return (gb.match(REPLACEMENT)?.length ?? 0) < utf8Errors ? gb : utf8;
}
