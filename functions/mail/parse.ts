import { Readable, Transform } from 'node:stream';
import { Joiner, Splitter } from '@zone-eu/mailsplit';
import { MailParser, type AddressObject, type EmailAddress, type HeaderValue, type Headers } from 'mailparser';
import { DEFAULT_MAIL_LIMITS, type MailLimits } from './limits';
import { HEADER_BLOCK_CAP_BYTES, headerBlockOf } from './ses-verdicts';
import type { HeaderLine, InboundMail, MailAddress, ParsedAttachment, RawMessageSource } from './types';

export { DEFAULT_MAIL_LIMITS, validateMailLimits, type MailLimits } from './limits';

export type MailLimitName = 'message-size' | 'header-size' | 'total-header-size' | 'mime-depth' | 'mime-parts';

/** The message broke an explicit limit of size or structure; it is quarantined with `limit` as the reason. */
export class MailLimitError extends Error {
  override readonly name = 'MailLimitError';
  constructor(
    readonly limit: MailLimitName,
    message: string,
  ) {
    super(message);
  }
}

/** The parser could not make sense of the message at all. */
export class MailParseError extends Error {
  override readonly name = 'MailParseError';
}

/**
 * Parsing ran out of time. How long a parse takes depends on how busy the machine is, not only on the
 * message, so this says nothing about the mail: the delivery is retried, never quarantined for it.
 */
export class ParseTimeoutError extends Error {
  override readonly name = 'ParseTimeoutError';
  readonly retryable = true;
}

/**
 * Reading the raw message failed midway or gave the wrong number of bytes (a dropped connection, an object
 * replaced between reads). It says nothing about the mail: the delivery is retried, never quarantined for it.
 */
export class RawMessageReadError extends Error {
  override readonly name = 'RawMessageReadError';
  readonly retryable = true;
}

export interface ParseOptions {
  /**
   * Ends the parse with ParseTimeoutError when it aborts. Without one, the parse gets a timer of
   * `limits.parseTimeoutMs`.
   */
  timeout?: AbortSignal;
}

/** A mailsplit node as the splitter emits it (only what is read here). */
interface SplitterNode {
  type: 'node';
  root?: boolean;
  multipart?: string | false;
  contentType?: string | false;
  disposition?: string | false;
  charset?: string | false;
  flowed?: boolean;
  delSp?: boolean;
  parentNode?: SplitterNode | false;
  /** Bytes of this node's header block (mailsplit's own count). */
  _headerlen?: number;
  setCharset?(charset: string): void;
  setContentType?(contentType?: string): void;
}

type SplitterChunk = SplitterNode | { type: 'body' | 'data'; node: SplitterNode; value: Buffer };

/** Bodies mailparser turns into text rather than attachments (see its `textTypes` and disposition rule). */
const TEXT_BODY_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

function isTextBody(node: SplitterNode): boolean {
  const contentType = node.contentType || (node.parentNode ? '' : 'text/plain');
  return TEXT_BODY_TYPES.has(contentType) && (!node.disposition || node.disposition === 'inline');
}

function isCappedText(node: SplitterNode): boolean {
  // HTML is not cut here: its bulk is often a `data:` image, and the text after it counts.
  return isTextBody(node) && node.contentType !== 'text/html';
}

interface PassFindings {
  /** A text part without a charset under a multipart that declares one. */
  inheritableCharset: boolean;
  /** A text/plain part was format=flowed; the flag was removed and the text needs decodeFlowed. */
  flowed: boolean;
  delSp: boolean;
}

/**
 * Checks the MIME structure as it streams past (depth, part count, header size: the splitter refuses an
 * over-long header block) and rewrites what mailparser would otherwise get wrong or spend memory on:
 * - format=flowed is dropped, because mailparser joins flowed lines across a change of quote depth
 *   (`> Hi ` + `Hello` becomes `> Hi Hello`), which RFC 3676 §4.5 forbids; decodeFlowed does it properly;
 * - with `inheritCharsets`, a text part that declares no charset gets its nearest ancestor's (seen with GBK
 *   in signed mail, which would otherwise decode as UTF-8 and yield U+FFFD);
 * - a plain-text body is cut at a line end after `maxTextPartBytes`: nothing downstream reads that far, and
 *   decoding 25 MB of text costs several times that in memory.
 */
function inspectParts(limits: MailLimits, inheritCharsets: boolean, findings: PassFindings, onRootCut: () => void): Transform {
  let parts = 0;
  let headerBytes = 0;
  let capped: { node: SplitterNode; bytes: number; done: boolean } | undefined;
  return new Transform({
    objectMode: true,
    transform(chunk: SplitterChunk, _encoding, callback) {
      if (chunk.type === 'node') {
        parts += 1;
        if (parts > limits.maxMimeParts) {
          callback(new MailLimitError('mime-parts', `more than ${limits.maxMimeParts} MIME parts`));
          return;
        }
        headerBytes += chunk._headerlen ?? 0;
        if (headerBytes > limits.maxTotalHeaderBytes) {
          callback(new MailLimitError('total-header-size', `MIME header blocks exceed ${limits.maxTotalHeaderBytes} bytes in all`));
          return;
        }
        let depth = 0;
        for (let node = chunk.parentNode; node; node = node.parentNode) depth += 1;
        if (depth > limits.maxMimeDepth) {
          callback(new MailLimitError('mime-depth', `MIME nesting deeper than ${limits.maxMimeDepth}`));
          return;
        }
        rewriteTextNode(chunk, inheritCharsets, findings);
        capped = isCappedText(chunk) ? { node: chunk, bytes: 0, done: false } : undefined;
        callback(null, chunk);
        return;
      }
      if (chunk.type === 'body' && capped?.node === chunk.node) {
        if (capped.done) {
          callback();
          return;
        }
        const room = limits.maxTextPartBytes - capped.bytes;
        if (chunk.value.length > room) {
          capped.done = true;
          // A single-part message has nothing after its body: the rest of the input need not be read at all.
          if (!capped.node.parentNode) onRootCut();
          // A negative offset would search from the end of the chunk, past the limit.
          const lineEnd = room > 0 ? chunk.value.lastIndexOf(0x0a, room - 1) : -1;
          if (lineEnd < 0) {
            callback();
            return;
          }
          callback(null, { ...chunk, value: chunk.value.subarray(0, lineEnd + 1) });
          return;
        }
        capped.bytes += chunk.value.length;
      }
      callback(null, chunk);
    },
  });
}

function rewriteTextNode(node: SplitterNode, inheritCharsets: boolean, findings: PassFindings): void {
  if (typeof node.contentType !== 'string' || !node.contentType.startsWith('text/')) return;
  if (!node.charset) {
    for (let parent = node.parentNode; parent; parent = parent.parentNode) {
      if (parent.charset) {
        findings.inheritableCharset = true;
        if (inheritCharsets) node.setCharset?.(parent.charset);
        break;
      }
    }
  }
  if (node.flowed && node.contentType === 'text/plain') {
    findings.flowed = true;
    findings.delSp = findings.delSp || Boolean(node.delSp);
    node.flowed = false;
    node.delSp = false;
    node.setContentType?.();
  }
}

/** What one pass of mailparser yields, before it becomes an InboundMail. */
interface RawParse {
  /** The top header section, raw (see InboundMail.headerBlock). */
  headerBlock: string;
  headers: Headers;
  headerLines: Array<{ key: string; line: string }>;
  text?: string;
  html?: string;
  attachments: Array<{ filename?: string; contentType: string; contentId?: string; size: number; sha256: string; chunks: Buffer[] }>;
}

interface MailParserAttachment {
  type: 'attachment';
  content: Readable;
  contentType: string;
  filename?: string;
  contentId?: string;
  checksum?: string;
  size?: number;
  release(): void;
}

type MailParserData = { type: 'text'; text?: string; html?: string | false } | MailParserAttachment;

/**
 * One pass: raw bytes as they arrive → splitter → inspectParts → joiner → mailparser. Attachments are kept as
 * the decoded chunks mailparser produced (never concatenated), hashed by mailparser as they stream.
 */
function parsePass(source: RawMessageSource, limits: MailLimits, inheritCharsets: boolean, findings: PassFindings, signal: AbortSignal): Promise<RawParse> {
  return new Promise<RawParse>((resolve, reject) => {
    const feed: Feed = { stopped: false, head: [], headBytes: 0 };
    const input = Readable.from(feedOf(source, feed));
    const splitter = new Splitter({ maxHeadSize: limits.maxHeaderBytes, maxChildNodes: limits.maxMimeParts }) as unknown as Transform;
    const inspector = inspectParts(limits, inheritCharsets, findings, () => (feed.stopped = true));
    const joiner = new Joiner() as unknown as Transform;
    const parser = new MailParser({
      // Text is converted by visible-text (with its own limits), never by mailparser; textAsHtml and inlined
      // cid: images are work and memory nothing here reads.
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      checksumAlgo: 'sha256',
      // Not part of the published typings, but honoured by the splitter mailparser builds.
      ...({ maxHeadSize: limits.maxHeaderBytes, maxChildNodes: limits.maxMimeParts } as object),
    }) as unknown as Transform & { headerLines?: Array<{ key: string; line: string }> };
    const streams = [input, splitter, inspector, joiner, parser];
    const result: RawParse = { headerBlock: '', headers: new Map(), headerLines: [], attachments: [] };
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      for (const stream of streams) stream.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    splitter.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'EMAXLEN' && /header/i.test(error.message)) {
        fail(new MailLimitError('header-size', `a MIME header block exceeds ${limits.maxHeaderBytes} bytes`));
      } else if (error.code === 'EMAXLEN') {
        fail(new MailLimitError('mime-parts', `more than ${limits.maxMimeParts} MIME parts`));
      } else {
        fail(new MailParseError(`MIME structure: ${error.message}`));
      }
    });
    for (const stream of [input, inspector, joiner]) stream.on('error', fail);
    parser.on('error', (error: Error) => fail(error instanceof MailLimitError ? error : new MailParseError(error.message)));
    parser.on('headers', (headers: Headers) => {
      result.headers = headers;
      result.headerLines = parser.headerLines ?? [];
    });
    parser.on('data', (data: MailParserData) => {
      if (data.type === 'text') {
        if (data.text) result.text = data.text;
        if (typeof data.html === 'string' && data.html) result.html = data.html;
        return;
      }
      const chunks: Buffer[] = [];
      data.content.on('data', (chunk: Buffer) => chunks.push(chunk));
      data.content.on('end', () => {
        result.attachments.push({
          ...(data.filename ? { filename: data.filename } : {}),
          contentType: data.contentType,
          ...(data.contentId ? { contentId: data.contentId } : {}),
          size: data.size ?? chunks.reduce((sum, chunk) => sum + chunk.length, 0),
          sha256: data.checksum ?? '',
          chunks,
        });
        data.release();
      });
    });
    parser.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      result.headerBlock = headerBlockOf(Buffer.concat(feed.head));
      resolve(result);
    });
    input.pipe(splitter).pipe(inspector).pipe(joiner).pipe(parser);
  });
}

/**
 * Parses a raw message under `limits`, as a buffer or as a stream it reads as it parses (the raw-mail store
 * hands over a stream, so a 25 MB message is never held whole). Throws MailLimitError (size or structure:
 * quarantine it), MailParseError (nonsense: quarantine it), ParseTimeoutError or RawMessageReadError (out of
 * time, or the read failed: retry the delivery).
 */
export async function parseInboundMail(raw: Buffer | RawMessageSource, limits: MailLimits = DEFAULT_MAIL_LIMITS, options: ParseOptions = {}): Promise<InboundMail> {
  const source = Buffer.isBuffer(raw) ? bufferSource(raw) : raw;
  if (source.size > limits.maxMessageBytes) {
    source.close?.();
    throw new MailLimitError('message-size', `message is ${source.size} bytes, limit ${limits.maxMessageBytes}`);
  }
  const controller = new AbortController();
  const timeOut = () => controller.abort(new ParseTimeoutError(`parsing took longer than ${limits.parseTimeoutMs} ms`));
  const timer = options.timeout ? undefined : setTimeout(timeOut, limits.parseTimeoutMs);
  if (options.timeout?.aborted) timeOut();
  options.timeout?.addEventListener('abort', timeOut, { once: true });
  try {
    const findings: PassFindings = { inheritableCharset: false, flowed: false, delSp: false };
    const mail = toInboundMail(await parsePass(source, limits, false, findings, controller.signal), limits, findings);
    if (!findings.inheritableCharset || !hasReplacementCharacters(mail)) return mail;
    // Only now is a second pass worth it (a second read of the source): the parts that declare no charset may
    // be in their multipart's.
    const again: PassFindings = { inheritableCharset: false, flowed: false, delSp: false };
    const reparsed = toInboundMail(await parsePass(source, limits, true, again, controller.signal), limits, again);
    return countReplacements(reparsed) <= countReplacements(mail) ? reparsed : mail;
  } catch (error) {
    if (error instanceof MailLimitError || error instanceof MailParseError || error instanceof ParseTimeoutError || error instanceof RawMessageReadError) throw error;
    throw new MailParseError(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    options.timeout?.removeEventListener('abort', timeOut);
    // A parse that ended before its first read leaves a download open.
    source.close?.();
  }
}

const REPLACEMENT = '\uFFFD';

function occurrences(text: string | undefined, needle: string): number {
  let count = 0;
  for (let at = text ? text.indexOf(needle) : -1; at >= 0; at = text!.indexOf(needle, at + 1)) count += 1;
  return count;
}

function countReplacements(mail: InboundMail): number {
  return occurrences(mail.text, REPLACEMENT) + occurrences(mail.html, REPLACEMENT);
}

function hasReplacementCharacters(mail: InboundMail): boolean {
  return Boolean(mail.text?.includes(REPLACEMENT) || mail.html?.includes(REPLACEMENT));
}

/**
 * RFC 3676 format=flowed decoding that ends a paragraph where the quote depth changes. A line ending in a
 * space continues on the next line of the same depth; the signature separator `-- ` never flows.
 */
export function decodeFlowed(text: string, delSp: boolean): string {
  const lines: string[] = [];
  let open: { depth: number; content: string } | undefined;
  const close = () => {
    if (open) lines.push(open.depth > 0 ? `${'>'.repeat(open.depth)} ${open.content}` : open.content);
    open = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    const depth = /^>*/.exec(line)?.[0].length ?? 0;
    let content = line.slice(depth);
    if (content.startsWith(' ')) content = content.slice(1);
    const flows = content !== '-- ' && content.endsWith(' ');
    if (open && open.depth !== depth) close();
    const piece = flows && delSp ? content.slice(0, -1) : content;
    if (open) open.content += piece;
    else open = { depth, content: piece };
    if (!flows) close();
  }
  close();
  return lines.join('\n');
}

const FEED_CHUNK_BYTES = 64 * 1024;

/** A message already in memory, read in 64 KiB pieces. */
function bufferSource(raw: Buffer): RawMessageSource {
  return { size: raw.length, open: () => chunksOf(raw) };
}

function* chunksOf(raw: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < raw.length; offset += FEED_CHUNK_BYTES) yield raw.subarray(offset, offset + FEED_CHUNK_BYTES);
}

/** What the parse tells the reader (`stopped`: the rest is not needed) and keeps of what it read. */
interface Feed {
  stopped: boolean;
  /** A copy of the first HEADER_BLOCK_CAP_BYTES bytes, for the raw top header section. */
  head: Buffer[];
  headBytes: number;
}

/**
 * One read of `source`, until `feed.stopped` says the rest is not needed (ending the read frees the
 * download). A read that fails or yields other than `source.size` bytes is a RawMessageReadError.
 */
async function* feedOf(source: RawMessageSource, feed: Feed): AsyncGenerator<Buffer> {
  let read = 0;
  try {
    for await (const piece of await source.open()) {
      if (feed.stopped) return;
      const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      read += chunk.length;
      if (read > source.size) throw new RawMessageReadError(`raw message is longer than its ${source.size} bytes`);
      if (feed.headBytes < HEADER_BLOCK_CAP_BYTES) {
        const kept = Buffer.from(chunk.subarray(0, HEADER_BLOCK_CAP_BYTES - feed.headBytes));
        feed.head.push(kept);
        feed.headBytes += kept.length;
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof RawMessageReadError) throw error;
    throw new RawMessageReadError(`reading the raw message failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (read !== source.size && !feed.stopped) throw new RawMessageReadError(`raw message ended after ${read} of ${source.size} bytes`);
}

const MESSAGE_ID_PATTERN = /<[^<>\s]{1,998}>/g;

/** Message ids in a header value, each with its angle brackets; ids without brackets are taken whole. */
export function messageIdsIn(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(' ') : value;
  const bracketed = text.match(MESSAGE_ID_PATTERN);
  if (bracketed) return bracketed;
  const bare = text.trim();
  return bare && !/\s/.test(bare) && bare.includes('@') ? [`<${bare}>`] : [];
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!field) return [];
  const groups = Array.isArray(field) ? field : [field];
  const flat: MailAddress[] = [];
  const visit = (entries: EmailAddress[]) => {
    for (const entry of entries) {
      if (entry.group) visit(entry.group);
      else if (entry.address) flat.push({ address: entry.address.toLowerCase(), name: entry.name ?? '' });
    }
  };
  for (const group of groups) visit(group.value);
  return flat;
}

function headerLinesOf(lines: RawParse['headerLines']): HeaderLine[] {
  return lines.map(({ key, line }) => {
    const colon = line.indexOf(':');
    const value = colon === -1 ? '' : line.slice(colon + 1);
    return { key: key.toLowerCase(), value: value.replace(/\r?\n[ \t]+/g, ' ').trim() };
  });
}

function rootContentType(headers: Headers): string {
  const header = headers.get('content-type');
  if (header && typeof header === 'object' && 'value' in header && typeof header.value === 'string') {
    return header.value.toLowerCase();
  }
  return 'text/plain';
}

/**
 * `data:` URIs (a pasted screenshot) are most of the bytes of many HTML mails and none of their text; the
 * pattern is linear: one character class, no nesting.
 */
const DATA_URI = /\bdata:[^\s"'()<>]*/gi;

/** HTML without its `data:` URIs; undefined when even that is over the conversion limit (kept in S3, not converted). */
export function convertibleHtml(html: string | undefined, limits: MailLimits): string | undefined {
  if (!html) return undefined;
  const slim = html.includes('data:') ? html.replace(DATA_URI, 'data:,') : html;
  return slim.length > limits.maxHtmlToTextBytes ? undefined : slim;
}

function toAttachment(attachment: RawParse['attachments'][number]): ParsedAttachment {
  return {
    filename: attachment.filename ?? 'attachment',
    contentType: attachment.contentType.toLowerCase(),
    size: attachment.size,
    sha256: attachment.sha256,
    ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
    content: attachment.chunks,
  };
}

function headerText(headers: Headers, key: string): string | undefined {
  const value: HeaderValue | undefined = headers.get(key);
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value.join(' ');
  return undefined;
}

function headerAddresses(headers: Headers, key: string): AddressObject | AddressObject[] | undefined {
  const value = headers.get(key);
  if (!value || typeof value !== 'object' || value instanceof Date) return undefined;
  const isAddressObject = (entry: unknown): entry is AddressObject =>
    typeof entry === 'object' && entry !== null && 'value' in entry && Array.isArray(entry.value);
  if (Array.isArray(value)) return (value as unknown[]).filter(isAddressObject);
  return isAddressObject(value) ? value : undefined;
}

function toInboundMail(parsed: RawParse, limits: MailLimits, findings: PassFindings): InboundMail {
  const { headers } = parsed;
  const references = messageIdsIn(headerText(headers, 'references')).slice(-limits.maxReferences);
  const dateHeader = headers.get('date');
  const date = dateHeader instanceof Date && !Number.isNaN(dateHeader.getTime()) ? dateHeader.toISOString() : undefined;
  const fromAddresses = addressesOf(headerAddresses(headers, 'from'));
  const [from] = fromAddresses;
  const fromFields = parsed.headerLines.filter((line) => line.key === 'from').length;
  const messageId = headerText(headers, 'message-id');
  const text = parsed.text && findings.flowed ? decodeFlowed(parsed.text, findings.delSp) : parsed.text;
  const html = convertibleHtml(parsed.html, limits);
  return {
    ...(messageId ? { messageId: messageIdsIn(messageId)[0] ?? messageId } : {}),
    inReplyTo: messageIdsIn(headerText(headers, 'in-reply-to')).slice(0, limits.maxReferences),
    references,
    ...(from ? { from } : {}),
    fromAmbiguous: fromFields > 1 || fromAddresses.length > 1,
    replyTo: addressesOf(headerAddresses(headers, 'reply-to')),
    to: addressesOf(headerAddresses(headers, 'to')),
    cc: addressesOf(headerAddresses(headers, 'cc')),
    subject: headerText(headers, 'subject') ?? '',
    ...(date ? { date } : {}),
    headers: headerLinesOf(parsed.headerLines),
    headerBlock: parsed.headerBlock,
    contentType: rootContentType(headers),
    ...(text ? { text } : {}),
    ...(html ? { html } : {}),
    attachments: parsed.attachments.map(toAttachment),
  };
}
