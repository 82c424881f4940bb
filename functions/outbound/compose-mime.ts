/**
 * Outbound mail as MIME: one text/plain part, as nodemailer's composer writes it (byte for byte the same
 * headers in the same order: RFC 2047 Q-encoded words of at most 52 characters, lines folded at 76; a text
 * that goes as it is or as quoted-printable where nodemailer chooses either, and decodes to the same).
 *
 * Every acknowledgement goes through here, and nodemailer's composer with its tables of MIME types is a
 * seventh of the inbound bundle and about 15 ms of CPU on a cold start. So a message whose addresses and
 * ids are plain ASCII (the subject, display name and text may be in any language) is written here with
 * libmime and libqp, the encoders mail parsing has loaded already. Anything else (an international domain,
 * a quoted local part, an id with spaces, a subject holding control characters or something that looks
 * like an encoded word) needs nodemailer's normalisation and goes to its composer, loaded on first use
 * (lib/bundling/lazy).
 */
import libmime from 'libmime';
import libqp from 'libqp';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutboundMail } from './acknowledgement';

/** Longest encoded word nodemailer writes, the RFC 2047 limit of 75 with room for the header name. */
const MAX_ENCODED_WORD = 52;
const MAX_LINE = 76;

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const LABEL = '(?!xn--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A dot-atom local part at a lower-case ASCII domain: written as it is, by nodemailer too. */
const PLAIN_ADDRESS = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*@${LABEL}(?:\\.${LABEL})+$`);
/** A message id in angle brackets, printable ASCII without spaces or further brackets. */
const PLAIN_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]+>$/;
const CONTROL = /[\x00-\x1f\x7f]/;
/** What makes nodemailer encode a whole header value: a quote or anything beyond ASCII. */
const NEEDS_ENCODING = /["\u0080-\uffff]/;
/** Header names nodemailer sets itself or treats as structured; a custom header by such a name goes to it. */
const OWN_HEADERS = new Set([
  'from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'in-reply-to', 'references', 'subject', 'message-id', 'date',
  'mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition', 'content-id', 'otp-token',
]);
/** nodemailer's capitalisation of a header name ("x-mailer" → "X-Mailer", "mime-version" → "MIME-Version"). */
const CAPITALISED_NAME = /^X-SMTPAPI$|^(MIME|DKIM|ARC|BIMI)\b|^OTP(?=-Token$)|^[a-z]|-(SPF|FBL|ID|MD5)$|-[a-z]/gi;

/** The message as MIME; `date` is its Date header. */
export async function composeMime(mail: OutboundMail, date: Date = new Date()): Promise<Buffer> {
  return composeOrdinary(mail, date) ?? composeWithNodemailer(mail, date);
}

/** nodemailer's composer: every other message, and the reference the ordinary ones are tested against. */
export async function composeWithNodemailer(mail: OutboundMail, date: Date): Promise<Buffer> {
  const composer = new MailComposer({
    from: mail.from,
    to: mail.to,
    replyTo: mail.replyTo,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
    references: mail.references,
    headers: mail.headers,
    date,
    textEncoding: 'quoted-printable',
  });
  return composer.compile().build();
}

/** The message written here, or undefined when it needs nodemailer's normalisation. */
export function composeOrdinary(mail: OutboundMail, date: Date): Buffer | undefined {
  const name = mail.from.name;
  const ids = [mail.messageId, ...(mail.inReplyTo ? [mail.inReplyTo] : []), ...mail.references];
  const customHeaders = Object.entries(mail.headers);
  if (
    ![mail.from.address, mail.to, mail.replyTo].every((address) => PLAIN_ADDRESS.test(address)) ||
    !ids.every((id) => PLAIN_ID.test(id)) ||
    mail.text === '' ||
    CONTROL.test(name) ||
    CONTROL.test(mail.subject.replace(/\r?\n|\r/g, ' ')) ||
    mail.subject.includes('=?') ||
    !customHeaders.every(([key, value]) => isPlainCustomHeader(key, value))
  ) {
    return undefined;
  }
  const text = mail.text;
  const plainText = !/[\x00-\x08\x0b\x0c\x0e-\x1f\u0080-\uffff]/.test(text);
  const sevenBit = plainText && text.length <= 128 * 1024 && !new RegExp(`^.{${MAX_LINE + 1},}`, 'm').test(text);
  const headers: Array<[string, string]> = [
    ...customHeaders,
    ['From', name ? `${addressName(name)} <${mail.from.address}>` : mail.from.address],
    ['To', mail.to],
    ['Reply-To', mail.replyTo],
    ...(mail.inReplyTo ? [['In-Reply-To', mail.inReplyTo] as [string, string]] : []),
    ['References', mail.references.join(' ')],
    ['Subject', headerText(mail.subject.replace(/\r?\n|\r/g, ' '))],
    ['Message-ID', mail.messageId],
    ['Date', date.toUTCString().replace(/GMT/, '+0000')],
    ['Content-Transfer-Encoding', sevenBit ? '7bit' : 'quoted-printable'],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=utf-8'],
  ];
  const head = headers
    .filter(([, value]) => value.trim() !== '')
    .map(([key, value]) => libmime.foldLines(`${key}: ${value}`, MAX_LINE))
    .join('\r\n');
  const body = sevenBit ? text : libqp.wrap(libqp.encode(text), MAX_LINE);
  // Like nodemailer, the message ends with a line break.
  const end = body.endsWith('\n') ? '' : body.endsWith('\r') ? '\n' : '\r\n';
  return Buffer.from(`${head}\r\n\r\n${body}${end}`, 'utf8');
}

function isPlainCustomHeader(key: string, value: string): boolean {
  const capitalised = key.toLowerCase().replace(CAPITALISED_NAME, (c) => c.toUpperCase());
  return /^[A-Za-z0-9-]+$/.test(key) && capitalised === key && !/^Content-Features$/i.test(key) && !OWN_HEADERS.has(key.toLowerCase()) && /^[\x20-\x7e]*$/.test(value) && !NEEDS_ENCODING.test(value) && !value.includes('=?');
}

/** A display name as nodemailer writes it: bare when a word, quoted when ASCII, else encoded words. */
function addressName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}"`;
  return libmime.encodeWord(name, 'Q', MAX_ENCODED_WORD);
}

/** Unstructured header text: as it is, or wholly encoded when it holds a quote or non-ASCII. */
function headerText(value: string): string {
  return NEEDS_ENCODING.test(value) ? libmime.encodeWord(value, 'Q', MAX_ENCODED_WORD) : value;
}
