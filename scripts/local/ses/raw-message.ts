/**
 * Raw message surgery, as SES does it to what it sends: validation with SES's own error texts, the
 * Message-ID replaced by the id SES assigns, the headers SES strips removed, every other byte kept.
 * Everything works on a latin1 string so one char is one byte, and untouched header fields are copied
 * through with their original folding and line endings.
 */
import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import { SesError } from './ses-error';

/** SES v1 counts To, Cc and Bcc together against this. */
const MAX_RECIPIENTS = 50;

/**
 * Fields SES refuses to see twice (Amazon SES Developer Guide, "Amazon SES header fields").
 * Two In-Reply-To or References headers is a real threading bug, and SES rejects it.
 */
const SINGLE_INSTANCE_HEADERS = new Set(
  [
    'Accept-Language', 'acceptLanguage', 'Archived-At', 'Auto-Submitted', 'Bounces-to', 'Comments',
    'Content-Alternative', 'Content-Base', 'Content-Class', 'Content-Description',
    'Content-Disposition', 'Content-Duration', 'Content-ID', 'Content-Language', 'Content-Length',
    'Content-Location', 'Content-MD5', 'Content-Transfer-Encoding', 'Content-Type', 'Date',
    'Delivered-To', 'Disposition-Notification-Options', 'Disposition-Notification-To',
    'DKIM-Signature', 'DomainKey-Signature', 'Errors-To', 'From', 'Importance', 'In-Reply-To',
    'Keywords', 'List-Archive', 'List-Help', 'List-Id', 'List-Owner', 'List-Post',
    'List-Subscribe', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Message-Context',
    'Message-ID', 'MIME-Version', 'Organization', 'Original-From', 'Original-Message-ID',
    'Original-Recipient', 'Original-Subject', 'Precedence', 'Priority', 'References', 'Reply-To',
    'Return-Path', 'Return-Receipt-To', 'Sender', 'Solicitation', 'Sensitivity', 'Subject',
    'Thread-Index', 'Thread-Topic', 'User-Agent', 'VBR-Info',
  ].map((name) => name.toLowerCase()),
);

/**
 * Removed from the delivered copy. The X-SES-*-ARN headers: SES documents that it strips
 * them (RawMessage.Data, API reference). Bcc: SES does not document it either way; RFC 5322
 * §3.6.3 has the sender remove it, and a delivered Bcc line would disclose blind recipients,
 * so the stand-in never shows it to the To/Cc recipients (the envelope keeps the addresses).
 */
const STRIPPED_HEADERS = new Set(['bcc', 'x-ses-source-arn', 'x-ses-from-arn', 'x-ses-return-path-arn']);

interface RawField {
  /** Field name as sent, trimmed of the obsolete whitespace allowed before the colon. */
  name: string;
  lower: string;
  /** The whole field as sent: first line, continuation lines, and their line breaks. */
  raw: string;
}

interface SplitMessage {
  fields: RawField[];
  /** The blank line, as sent (CRLF or LF). */
  separator: string;
  body: string;
  eol: '\r\n' | '\n';
}

function splitMessage(raw: string): SplitMessage {
  const fields: RawField[] = [];
  let eol: '\r\n' | '\n' | undefined;
  let pos = 0;
  for (;;) {
    const nl = raw.indexOf('\n', pos);
    if (nl === -1) {
      throw new SesError('InvalidParameterValue', 'The message must contain a header and a body, separated by a blank line.');
    }
    const line = raw.slice(pos, nl + 1);
    const content = line.endsWith('\r\n') ? line.slice(0, -2) : line.slice(0, -1);
    eol ??= line.endsWith('\r\n') ? '\r\n' : '\n';
    if (content === '') {
      if (fields.length === 0) throw new SesError('InvalidParameterValue', 'The message has no header fields.');
      return { fields, separator: line, body: raw.slice(nl + 1), eol };
    }
    if (content.startsWith(' ') || content.startsWith('\t')) {
      const last = fields.at(-1);
      if (!last) throw new SesError('InvalidParameterValue', 'The message starts with a folded (continuation) line.');
      last.raw += line;
    } else {
      const colon = content.indexOf(':');
      const name = colon > 0 ? content.slice(0, colon).replace(/[ \t]+$/, '') : '';
      // RFC 5322 field names are printable US-ASCII without the colon; anything else means the
      // sender produced something that is not a header block (a missing blank line, a bare body).
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
        throw new SesError('InvalidParameterValue', `Illegal header line: '${printable(content.slice(0, 80))}'.`);
      }
      fields.push({ name, lower: name.toLowerCase(), raw: line });
    }
    pos = nl + 1;
  }
}

/** Unfolded field value, decoded as UTF-8 (8-bit header bytes are UTF-8 in practice). */
function fieldValue(field: RawField): string {
  const value = field.raw.slice(field.raw.indexOf(':') + 1);
  return Buffer.from(value, 'latin1').toString('utf8').replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '').trim();
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function addressesOf(fields: RawField[], names: string[]): string[] {
  const out: string[] = [];
  for (const field of fields) {
    if (!names.includes(field.lower)) continue;
    for (const mailbox of addressparser(fieldValue(field), { flatten: true })) {
      // A bare word ("To: nobody") parses as a name without an address; keep it so that it
      // fails address validation as it does at SES, rather than silently dropping a recipient.
      const address = mailbox.address || mailbox.name;
      if (address) out.push(address);
    }
  }
  return out;
}

function checkAddress(address: string): void {
  if (!address.includes('@')) throw new SesError('InvalidParameterValue', `Missing final '@domain'`);
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) throw new SesError('InvalidParameterValue', `Illegal address`);
}

/** Address inside a Source parameter, which may be `Name <addr>`. */
function bareAddress(value: string): string {
  const parsed = addressparser(value, { flatten: true })[0];
  return parsed?.address || value;
}

export function sesMessageId(): string {
  // Real ids are "0100" + 12 hex digits of epoch milliseconds, a UUID, and a 6-digit suffix;
  // the timestamp part makes them roughly time-ordered, as real ones are.
  return `0100${Date.now().toString(16).padStart(12, '0')}-${randomUUID()}-000000`;
}

export function messageIdDomain(region: string): string {
  return region === 'us-east-1' ? 'email.amazonses.com' : `${region}.amazonses.com`;
}

function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export interface Accepted {
  delivered: Buffer;
  source: string | null;
  destinations: string[];
}

/**
 * Validates a raw message the way SES does before accepting it, and returns the copy that
 * recipients would receive. The error codes and texts are the ones SES is seen to return:
 * `InvalidParameterValue` with "Message length is more than 10485760 bytes long: 'N'." and
 * "Missing required header 'From'." (not `MessageRejected`, which SES uses for unverified
 * identities and the like).
 */
export function acceptRaw(
  raw: Buffer,
  params: { source?: string; destinations: string[] },
  id: string,
  region: string,
  maxMessageBytes: number,
  now: Date,
): Accepted {
  if (raw.length > maxMessageBytes) {
    throw new SesError('InvalidParameterValue', `Message length is more than ${maxMessageBytes} bytes long: '${raw.length}'.`);
  }
  const message = splitMessage(raw.toString('latin1'));
  const seen = new Set<string>();
  for (const field of message.fields) {
    if (SINGLE_INSTANCE_HEADERS.has(field.lower) && seen.has(field.lower)) {
      throw new SesError('InvalidParameterValue', `Duplicate header '${printable(field.name)}'.`);
    }
    seen.add(field.lower);
  }

  const fromHeader = message.fields.find((f) => f.lower === 'from');
  // SES only insists on a From header when no Source parameter names the sender (an SES v2
  // raw send with FromEmailAddress and no From header is accepted and delivered without one).
  if (!fromHeader && !params.source) {
    throw new SesError('InvalidParameterValue', "Missing required header 'From'.");
  }
  const source = params.source ?? addressesOf(message.fields, ['from'])[0] ?? null;
  if (params.source) checkAddress(bareAddress(params.source));

  const destinations = params.destinations.length > 0 ? params.destinations : addressesOf(message.fields, ['to', 'cc', 'bcc']);
  if (destinations.length === 0) {
    // What SES says when a raw message names nobody (no Destinations, no To/Cc/Bcc).
    throw new SesError('InvalidParameterValue', "Missing required header 'To'.");
  }
  if (destinations.length > MAX_RECIPIENTS) {
    throw new SesError('InvalidParameterValue', `Recipient count exceeds ${MAX_RECIPIENTS}.`);
  }
  for (const address of destinations) checkAddress(address);

  const messageIdLine = `Message-ID: <${id}@${messageIdDomain(region)}>`;
  let replaced = false;
  const kept: string[] = [];
  for (const field of message.fields) {
    if (STRIPPED_HEADERS.has(field.lower)) continue;
    if (field.lower === 'message-id') {
      // Keep the field's own line ending so a CRLF message stays pure CRLF.
      kept.push(messageIdLine + (field.raw.endsWith('\r\n') ? '\r\n' : '\n'));
      replaced = true;
      continue;
    }
    kept.push(field.raw);
  }
  if (!replaced) kept.push(messageIdLine + message.eol);
  // Mail without a Date is not RFC 5322 mail; SES stamps the acceptance time.
  if (!seen.has('date')) kept.push(`Date: ${rfc5322Date(now)}${message.eol}`);

  const delivered = Buffer.from(kept.join('') + message.separator + message.body, 'latin1');
  return { delivered, source, destinations };
}
