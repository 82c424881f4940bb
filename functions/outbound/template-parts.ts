/**
 * Pieces every template of the desk's outbound mail shares, so that they read the same in every mail:
 * the anti-phishing line, the reply marker of staff notifications, subjects and display names.
 */
import type { Language } from '../mail/types';
import type { OutboundMail } from './acknowledgement';

/**
 * The first line of a staff notification. A staff member's emailed reply is cut where it appears (see
 * mail/staff-reply-text.ts), which works even when a mail client quotes the notification without `>`.
 * Short, so that no client wraps it, even quoted several levels deep.
 */
export const REPLY_ABOVE_MARKER = '##- Reply above this line -##';

/**
 * The customer's anti-phishing code as the first line of every mail to them, in one wording per language, so
 * that they learn to look in one place. Undefined when they have none: the line is then left out entirely.
 */
export function antiPhishingLine(code: string | undefined, language: Language): string | undefined {
  if (code === undefined || code === '') return undefined;
  return language === 'zh' ? `防钓鱼码：${code}` : `Anti-phishing code: ${code}`;
}

/** Subjects are echoed up to this many characters. */
export const MAX_SUBJECT_ECHO = 120;

/** A subject on one line, cut to MAX_SUBJECT_ECHO characters. */
export function echoSubject(subject: string): string {
  const clean = subject.replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return clean.length > MAX_SUBJECT_ECHO ? `${clean.slice(0, MAX_SUBJECT_ECHO - 1)}…` : clean;
}

/** Reply and forward prefixes mail clients put before a subject, in the languages the desk serves. */
const SUBJECT_PREFIX = /^\s*(?:(?:re|fw|fwd|aw|sv|antw|回复|回覆|答复|转发|轉寄)\s*(?:\[\d{1,3}\])?\s*[:：]|\[#[A-Za-z0-9]{6}\])\s*/iu;
/** At most this many prefixes are taken off: a subject of ten thousand "Re:" stays cheap. */
const MAX_PREFIXES = 20;

/** A subject without the `Re:`/`Fwd:`/`回复：` and `[#REF]` prefixes that replies pile up. */
export function baseSubject(subject: string): string {
  let rest = subject.replace(/[\r\n\t]+/g, ' ');
  for (let i = 0; i < MAX_PREFIXES; i++) {
    const match = rest.match(SUBJECT_PREFIX);
    if (!match) break;
    rest = rest.slice(match[0].length);
  }
  return rest.trim();
}

/** `[#REF] <subject>`, or `[#REF] Re: <subject>` for an answer, never `Re: Re:`. */
export function ticketSubject(ref: string, subject: string, options: { reply: boolean }): string {
  const base = echoSubject(baseSubject(subject));
  const token = `[#${ref}]`;
  if (base === '') return options.reply ? `${token} Re:` : token;
  return options.reply ? `${token} Re: ${base}` : `${token} ${base}`;
}

/** Display names are cut to this many characters. */
export const MAX_DISPLAY_NAME = 64;

/**
 * A person's name fit for a display name or a line of text: no line breaks or control characters (no header
 * injection), no bidirectional or invisible formatting characters, and none of `@ < > " , ; \` so that it
 * cannot pass for an address or a second mailbox (`"security@exchange.example" <support@…>`).
 */
export function sanitiseDisplayName(name: string): string {
  const clean = name
    .slice(0, 4 * MAX_DISPLAY_NAME)
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/[@<>",;\\]/g, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  return clean.length > MAX_DISPLAY_NAME ? clean.slice(0, MAX_DISPLAY_NAME).trim() : clean;
}

/** Ids named in References are kept up to this many, the newest: enough to thread, bounded whatever came in. */
export const MAX_REFERENCES = 20;

/** `ids` in order without repeats or blanks, keeping the newest (last) MAX_REFERENCES. */
export function boundedReferences(ids: readonly (string | undefined)[]): string[] {
  const unique = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id.trim() !== '').map((id) => id.trim()))];
  return unique.slice(-MAX_REFERENCES);
}

export interface StaffNoticeInput {
  /** The ticket the notice is about, when there is one. */
  ref?: string;
  to: string;
  subject: string;
  lines: readonly string[];
  support: { name: string; address: string };
  messageId: string;
  /** Message-IDs of the staff member's own mail it answers, oldest first: the notice threads under the last. */
  thread: ReadonlyArray<string | undefined>;
}

/**
 * A notice from the desk to a member of staff about their own mail (an answer not relayed, stopped by the
 * guard, or not delivered): from the support address and answered there, automatic, threaded under their mail.
 */
export function staffNoticeMail(input: StaffNoticeInput): OutboundMail {
  const inReplyTo = input.thread.filter((id): id is string => typeof id === 'string' && id !== '').at(-1);
  return {
    from: { name: sanitiseDisplayName(input.support.name), address: input.support.address },
    to: input.to,
    replyTo: input.support.address,
    subject: input.subject,
    text: input.lines.join('\n'),
    messageId: input.messageId,
    ...(inReplyTo ? { inReplyTo } : {}),
    references: boundedReferences([...input.thread, input.messageId]),
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', ...(input.ref ? { 'X-Concierge-Ticket': input.ref } : {}) },
  };
}
