/**
 * A local stand-in for the Amazon SES v1 sending API (SendRawEmail, SendEmail), plus a
 * browser mailbox for what it "delivered".
 *
 * It exists so that threading bugs show up on a laptop: real SES replaces the Message-ID of
 * every message it sends, so a stand-in that keeps the sender's id would let a handler that
 * records its own id (instead of the one SES returns) pass every local test and then break
 * every reply thread in production.
 *
 * Wire protocol: @aws-sdk/client-ses speaks awsQuery, an `application/x-www-form-urlencoded`
 * POST (`Action=SendRawEmail&Version=2010-12-01&RawMessage.Data=<base64>&Source=…&
 * Destinations.member.N=…`), and expects XML back; errors are `<ErrorResponse><Error>
 * <Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` and the SDK names the error
 * after `<Code>`. Signatures are not checked: any credentials are accepted.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';

export interface LocalSesOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 picks an ephemeral port. */
  port: number;
  /** Where delivered messages are written, one `.eml` per message; created if missing. */
  outboxDir: string;
  /** Region this endpoint pretends to be; decides the Message-ID domain. Default us-east-1. */
  region?: string;
  /** Largest accepted raw message; default 10 MiB (10485760 bytes), the SES v1 limit. */
  maxMessageBytes?: number;
}

export interface LocalSesEndpoint {
  /** Base URL to hand to `new SESClient({ endpoint })`; the mailbox is served at the same URL. */
  url: string;
  port: number;
  /** Stops listening, drops open connections, and waits for pending outbox writes. */
  close(): Promise<void>;
}

/** What is recorded next to each delivered message, since the .eml itself carries no envelope. */
export interface LocalSesEnvelope {
  sesMessageId: string;
  action: 'SendRawEmail' | 'SendEmail';
  acceptedAt: string;
  region: string;
  source: string | null;
  destinations: string[];
  returnPath?: string;
  configurationSetName?: string;
  tags?: { name: string; value: string }[];
}

/** One row of `GET /api/messages`. */
export interface LocalSesMessageSummary {
  file: string;
  messageId: string | null;
  from: string;
  to: string;
  subject: string;
  date: string | null;
  sesMessageId: string;
  acceptedAt: string | null;
  envelope: { source: string | null; destinations: string[] } | null;
}

const SES_XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';
const SES_API_VERSION = '2010-12-01';
const MIB = 1024 * 1024;
const DEFAULT_MAX_MESSAGE_BYTES = 10 * MIB;
/** SES v1 counts To, Cc and Bcc together against this. */
const MAX_RECIPIENTS = 50;
/** Base64 inflates by 4/3 and the form adds a little; anything above this cannot be a valid send. */
const MIN_REQUEST_CAP = 15 * MIB;
/** How much of a refused upload is read and discarded so that the client gets to see the 413. */
const MAX_DISCARDED_BYTES = 64 * MIB;
/** Headers are read on their own for the mailbox list; a header block larger than this is not a mail. */
const MAX_HEADER_BLOCK_BYTES = 1 * MIB;

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

const EML_NAME = /^(\d{6,})-([0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{6})\.eml$/;

/** An error the SDK will raise under `code` (it names exceptions after the XML `<Code>`). */
class SesError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw message surgery. Everything works on a latin1 string so one char is one byte, and
// untouched header fields are copied through with their original folding and line endings.

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

function sesMessageId(): string {
  // Real ids are "0100" + 12 hex digits of epoch milliseconds, a UUID, and a 6-digit suffix;
  // the timestamp part makes them roughly time-ordered, as real ones are.
  return `0100${Date.now().toString(16).padStart(12, '0')}-${randomUUID()}-000000`;
}

function messageIdDomain(region: string): string {
  return region === 'us-east-1' ? 'email.amazonses.com' : `${region}.amazonses.com`;
}

function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

interface Accepted {
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
function acceptRaw(
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

// ---------------------------------------------------------------------------------------------
// awsQuery requests and responses

function members(form: URLSearchParams, prefix: string): string[] {
  const indexed: [number, string][] = [];
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.(\\d+)$`);
  for (const [key, value] of form) {
    const match = pattern.exec(key);
    if (match?.[1]) indexed.push([Number(match[1]), value]);
  }
  return indexed.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

function tagsOf(form: URLSearchParams): { name: string; value: string }[] | undefined {
  const tags: { name: string; value: string }[] = [];
  for (let i = 1; form.has(`Tags.member.${i}.Name`); i++) {
    tags.push({ name: form.get(`Tags.member.${i}.Name`) ?? '', value: form.get(`Tags.member.${i}.Value`) ?? '' });
  }
  return tags.length > 0 ? tags : undefined;
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value === '') {
    throw new SesError('MissingParameter', `The request must contain the parameter ${name}.`);
  }
  return value;
}

function decodeRawData(form: URLSearchParams): Buffer {
  // A client that sends '+' unescaped gets it turned into a space by form decoding; base64
  // never contains spaces, so putting the '+' back is lossless and avoids silent corruption.
  const data = required(form, 'RawMessage.Data').replace(/ /g, '+').replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1) {
    throw new SesError('InvalidParameterValue', 'RawMessage.Data is not valid base64.');
  }
  return Buffer.from(data, 'base64');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function sendXml(res: ServerResponse, status: number, requestId: string, xml: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': requestId,
  });
  res.end(xml);
}

function sendSesError(res: ServerResponse, error: SesError, requestId: string): void {
  sendXml(
    res,
    error.status,
    requestId,
    `<ErrorResponse xmlns="${SES_XMLNS}"><Error><Type>${error.type}</Type><Code>${xmlEscape(error.code)}</Code>` +
      `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

function sendResult(res: ServerResponse, action: string, id: string, requestId: string): void {
  sendXml(
    res,
    200,
    requestId,
    `<${action}Response xmlns="${SES_XMLNS}"><${action}Result><MessageId>${id}</MessageId></${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

class BodyTooLarge extends Error {}

/** Buffers a request body, refusing (without reading further) once it passes `cap` bytes. */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > cap) {
        req.off('data', onData);
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Outbox: one .eml per accepted message, named so that names sort in acceptance order.

class Outbox {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private counter: number,
  ) {}

  static async open(dir: string): Promise<Outbox> {
    await mkdir(dir, { recursive: true });
    let highest = 0;
    for (const name of await readdir(dir)) {
      const match = EML_NAME.exec(name);
      if (match?.[1]) highest = Math.max(highest, Number(match[1]));
    }
    return new Outbox(dir, highest);
  }

  /**
   * Numbers and writes one message. Writes run one at a time, and the number is taken inside
   * the queue, so file N is complete on disk before file N+1 is begun, whatever the request
   * concurrency. The .eml appears by rename, so a reader never sees a half-written message.
   */
  append(id: string, delivered: Buffer, envelope: LocalSesEnvelope): Promise<string> {
    const run = this.tail.then(async () => {
      const base = `${String(++this.counter).padStart(6, '0')}-${id}`;
      const file = `${base}.eml`;
      const temp = join(this.dir, `.${base}.tmp`);
      await writeFile(join(this.dir, `${base}.envelope.json`), `${JSON.stringify(envelope, null, 2)}\n`);
      await writeFile(temp, delivered);
      await rename(temp, join(this.dir, file));
      return file;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  drain(): Promise<unknown> {
    return this.tail;
  }

  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((name) => EML_NAME.test(name)).sort(compareFiles);
  }

  /** Resolves a name from a URL to a file in the outbox, or null; never a path outside it. */
  async resolve(name: string): Promise<string | null> {
    if (!EML_NAME.test(name)) return null;
    const path = join(this.dir, name);
    try {
      return (await stat(path)).isFile() ? path : null;
    } catch {
      return null;
    }
  }
}

function compareFiles(a: string, b: string): number {
  // Numeric, so that the order survives past 999999 where the zero padding stops helping.
  const na = Number(EML_NAME.exec(a)?.[1] ?? 0);
  const nb = Number(EML_NAME.exec(b)?.[1] ?? 0);
  return na - nb;
}

// ---------------------------------------------------------------------------------------------
// Mailbox

async function readHeaderBlock(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      const sofar = Buffer.concat(chunks);
      const end = headerEnd(sofar);
      if (end !== -1) return sofar.subarray(0, end);
      if (total > MAX_HEADER_BLOCK_BYTES) return sofar;
    }
    return Buffer.concat(chunks);
  } finally {
    await handle.close();
  }
}

/** Offset just past the blank line that ends the header block, or -1. */
function headerEnd(data: Buffer): number {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  if (crlf === -1) return lf === -1 ? -1 : lf + 2;
  if (lf === -1 || crlf < lf) return crlf + 4;
  return lf + 2;
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

async function readEnvelope(outbox: Outbox, file: string): Promise<LocalSesEnvelope | null> {
  try {
    return JSON.parse(await readFile(join(outbox.dir, file.replace(/\.eml$/, '.envelope.json')), 'utf8')) as LocalSesEnvelope;
  } catch {
    return null;
  }
}

async function summarize(outbox: Outbox, file: string): Promise<LocalSesMessageSummary> {
  const path = join(outbox.dir, file);
  const [parsed, envelope] = await Promise.all([
    readHeaderBlock(path).then((headers) => simpleParser(headers)),
    readEnvelope(outbox, file),
  ]);
  return {
    file,
    messageId: parsed.messageId ?? null,
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    subject: parsed.subject ?? '',
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : null,
    sesMessageId: EML_NAME.exec(file)?.[2] ?? '',
    acceptedAt: envelope?.acceptedAt ?? null,
    envelope: envelope ? { source: envelope.source, destinations: envelope.destinations } : null,
  };
}

function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'";
/**
 * For the mail's own HTML: `sandbox` (no scripts, opaque origin) applies even when the URL is
 * opened directly rather than in the iframe, and `default-src 'none'` stops remote images and
 * tracking pixels from calling home.
 */
const MAIL_HTML_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:";

function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>${htmlEscape(title)}</title><style>` +
    'body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}' +
    'td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}' +
    'pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.75em}' +
    'iframe{width:100%;height:30em;border:1px solid #ccc}.muted{color:#777}' +
    `</style></head><body>${body}</body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(html);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(body);
}

function notFound(res: ServerResponse): void {
  sendPage(res, 404, 'Not found', '<h1>Not found</h1><p><a href="/">Back to the mailbox</a></p>');
}

async function listPage(outbox: Outbox, res: ServerResponse): Promise<void> {
  const files = (await outbox.list()).reverse();
  const rows = await Promise.all(files.map((file) => summarize(outbox, file)));
  const body = rows
    .map((m) => {
      const href = `/messages/${encodeURIComponent(m.file)}`;
      return (
        `<tr><td>${htmlEscape(m.acceptedAt ?? m.date ?? '')}</td><td>${htmlEscape(m.from)}</td>` +
        `<td>${htmlEscape(m.to || (m.envelope?.destinations.join(', ') ?? ''))}</td>` +
        `<td><a href="${htmlEscape(href)}">${htmlEscape(m.subject || '(no subject)')}</a></td></tr>`
      );
    })
    .join('');
  sendPage(
    res,
    200,
    'Local SES outbox',
    `<h1>Local SES outbox</h1><p class="muted">${rows.length} message(s), newest first. ` +
      `<a href="/api/messages">JSON</a></p>` +
      `<table><thead><tr><th>Accepted</th><th>From</th><th>To</th><th>Subject</th></tr></thead><tbody>${body}</tbody></table>`,
  );
}

async function messagePage(outbox: Outbox, file: string, path: string, res: ServerResponse): Promise<void> {
  const raw = await readFile(path);
  const end = headerEnd(raw);
  const headerText = raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
  const [parsed, envelope]: [ParsedMail, LocalSesEnvelope | null] = await Promise.all([simpleParser(raw), readEnvelope(outbox, file)]);
  const base = `/messages/${encodeURIComponent(file)}`;
  const attachments = parsed.attachments
    .map((a) => `<li>${htmlEscape(a.filename ?? '(unnamed)')} — ${htmlEscape(a.contentType)}, ${a.size} bytes</li>`)
    .join('');
  const html = typeof parsed.html === 'string' && parsed.html !== '';
  sendPage(
    res,
    200,
    parsed.subject ?? file,
    `<p><a href="/">← Outbox</a> · <a href="${htmlEscape(`${base}/raw`)}">Raw .eml</a></p>` +
      `<h1>${htmlEscape(parsed.subject ?? '(no subject)')}</h1>` +
      `<table><tr><th>SES MessageId</th><td>${htmlEscape(EML_NAME.exec(file)?.[2] ?? '')}</td></tr>` +
      `<tr><th>Envelope from</th><td>${htmlEscape(envelope?.source ?? '')}</td></tr>` +
      `<tr><th>Envelope to</th><td>${htmlEscape(envelope?.destinations.join(', ') ?? '')}</td></tr>` +
      `<tr><th>Accepted</th><td>${htmlEscape(envelope?.acceptedAt ?? '')}</td></tr></table>` +
      `<h2>Headers</h2><pre>${htmlEscape(headerText)}</pre>` +
      `<h2>Text</h2><pre>${htmlEscape(parsed.text ?? '(no text part)')}</pre>` +
      (attachments ? `<h2>Attachments</h2><ul>${attachments}</ul>` : '') +
      (html
        ? `<h2>HTML part (sandboxed, no scripts, no remote content)</h2>` +
          `<iframe sandbox="" referrerpolicy="no-referrer" src="${htmlEscape(`${base}/html`)}"></iframe>`
        : ''),
  );
}

async function routeMailbox(outbox: Outbox, pathname: string, res: ServerResponse): Promise<void> {
  if (pathname === '/' || pathname === '/messages' || pathname === '/messages/') {
    await listPage(outbox, res);
    return;
  }
  if (pathname === '/api/messages') {
    const files = await outbox.list();
    sendJson(res, 200, await Promise.all(files.map((file) => summarize(outbox, file))));
    return;
  }
  const match = /^\/messages\/([^/]+)(\/raw|\/html)?$/.exec(pathname);
  if (!match?.[1]) {
    notFound(res);
    return;
  }
  let name: string;
  try {
    name = decodeURIComponent(match[1]);
  } catch {
    sendPage(res, 400, 'Bad request', '<h1>Bad request</h1>');
    return;
  }
  // Only names the outbox itself produces are served, which rules out '..', slashes and
  // anything else that could step outside the directory.
  const path = await outbox.resolve(name);
  if (!path) {
    notFound(res);
    return;
  }
  if (match[2] === '/raw') {
    const data = await readFile(path);
    res.writeHead(200, {
      'content-type': 'message/rfc822',
      'content-length': data.length,
      'content-disposition': `inline; filename="${name}"`,
      'x-content-type-options': 'nosniff',
    });
    res.end(data);
    return;
  }
  if (match[2] === '/html') {
    const parsed = await simpleParser(await readFile(path));
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': MAIL_HTML_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(typeof parsed.html === 'string' ? parsed.html : '');
    return;
  }
  await messagePage(outbox, name, path, res);
}

// ---------------------------------------------------------------------------------------------
// Server

export async function startLocalSesEndpoint(options: LocalSesOptions): Promise<LocalSesEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const requestCap = Math.max(MIN_REQUEST_CAP, Math.ceil((maxMessageBytes * 4) / 3) + MIB);
  const outbox = await Outbox.open(options.outboxDir);

  /**
   * Answers 413 at once but ends the response only when the client has finished uploading
   * (discarding, not buffering, what it sends). Hanging up mid-upload makes the peer's TCP
   * stack reset the connection, and the client then reports "socket hang up" (and the SDK
   * retries) instead of the error.
   */
  function rejectOversized(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    const error = new SesError(
      'InvalidParameterValue',
      `Request body is larger than ${requestCap} bytes; SES v1 messages may not exceed ${maxMessageBytes} bytes.`,
      413,
    );
    const xml =
      `<ErrorResponse xmlns="${SES_XMLNS}"><Error><Type>${error.type}</Type><Code>${error.code}</Code>` +
      `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    res.writeHead(413, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(xml),
      'x-amzn-requestid': requestId,
      connection: 'close',
    });
    res.write(xml);
    let discarded = 0;
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      // A client that keeps streaming long after being told no is not worth waiting for.
      if (discarded > MAX_DISCARDED_BYTES) req.socket.destroy();
    });
    req.on('end', () => res.end());
    req.resume();
  }

  async function sendAction(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const requestId = randomUUID();
    try {
      if (pathname.startsWith('/v2/')) {
        throw new SesError('UnknownOperationException', 'This local endpoint speaks the SES v1 API (@aws-sdk/client-ses), not SES v2.', 404);
      }
      const contentType = req.headers['content-type'] ?? '';
      if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw new SesError('InvalidParameterValue', `Expected an application/x-www-form-urlencoded (awsQuery) request, got '${contentType}'.`);
      }
      let body: Buffer;
      try {
        body = await readBody(req, requestCap);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        rejectOversized(req, res, requestId);
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action');
      const now = new Date();
      const id = sesMessageId();
      let accepted: Accepted;
      let envelope: LocalSesEnvelope;
      if (action === 'SendRawEmail') {
        const source = form.get('Source') || undefined;
        accepted = acceptRaw(decodeRawData(form), { source, destinations: members(form, 'Destinations') }, id, region, maxMessageBytes, now);
        envelope = { sesMessageId: id, action, acceptedAt: now.toISOString(), region, source: accepted.source, destinations: accepted.destinations };
      } else if (action === 'SendEmail') {
        const source = required(form, 'Source');
        const to = members(form, 'Destination.ToAddresses');
        const cc = members(form, 'Destination.CcAddresses');
        const bcc = members(form, 'Destination.BccAddresses');
        const text = form.get('Message.Body.Text.Data');
        const html = form.get('Message.Body.Html.Data');
        const subject = form.get('Message.Subject.Data');
        if (subject === null) throw new SesError('MissingParameter', 'The request must contain the parameter Message.Subject.Data.');
        if (text === null && html === null) throw new SesError('MissingParameter', 'The request must contain the parameter Message.Body.');
        const replyTo = members(form, 'ReplyToAddresses');
        const composed = await new MailComposer({
          from: source,
          to: to.length > 0 ? to : undefined,
          cc: cc.length > 0 ? cc : undefined,
          replyTo: replyTo.length > 0 ? replyTo : undefined,
          subject,
          text: text ?? undefined,
          html: html ?? undefined,
          messageId: `<${id}@${messageIdDomain(region)}>`,
          date: now,
          newline: 'win',
        })
          .compile()
          .build();
        accepted = acceptRaw(composed, { source, destinations: [...to, ...cc, ...bcc] }, id, region, maxMessageBytes, now);
        envelope = { sesMessageId: id, action, acceptedAt: now.toISOString(), region, source: accepted.source, destinations: accepted.destinations };
      } else if (action === null) {
        throw new SesError('MissingAction', 'The request must contain the parameter Action.');
      } else {
        throw new SesError('InvalidAction', `Could not find operation ${action} for version ${form.get('Version') ?? SES_API_VERSION}. This local endpoint implements SendRawEmail and SendEmail.`);
      }
      const returnPath = form.get('ReturnPath');
      if (returnPath) envelope.returnPath = returnPath;
      const configurationSetName = form.get('ConfigurationSetName');
      if (configurationSetName) envelope.configurationSetName = configurationSetName;
      const tags = tagsOf(form);
      if (tags) envelope.tags = tags;

      await outbox.append(id, accepted.delivered, envelope);
      sendResult(res, action, id, requestId);
    } catch (error) {
      const sesError =
        error instanceof SesError
          ? error
          : new SesError('InternalFailure', `Local SES endpoint failed: ${error instanceof Error ? error.message : String(error)}`, 500, 'Receiver');
      if (!res.headersSent) sendSesError(res, sesError, requestId);
    }
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://local').pathname;
    if (req.method === 'POST') {
      void sendAction(req, res, pathname);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      routeMailbox(outbox, pathname, res).catch((error: unknown) => {
        if (!res.headersSent) {
          sendPage(res, 500, 'Error', `<h1>Error</h1><pre>${htmlEscape(error instanceof Error ? error.message : String(error))}</pre>`);
        }
      });
      return;
    }
    res.writeHead(405, { allow: 'GET, HEAD, POST' });
    res.end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep sockets alive; without this close() would wait for them to time out.
        for (const socket of sockets) socket.destroy();
      }).then(async () => {
        await outbox.drain();
      });
      return closing;
    },
  };
}
