import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { Joiner, Splitter } from '@zone-eu/mailsplit';
import { simpleParser, type AddressObject, type EmailAddress, type ParsedMail } from 'mailparser';
import { DEFAULT_MAIL_LIMITS, type MailLimits } from './limits';
import type { HeaderLine, InboundMail, MailAddress, ParsedAttachment } from './types';

export { DEFAULT_MAIL_LIMITS, validateMailLimits, type MailLimits } from './limits';

export type MailLimitName =
  | 'message-size'
  | 'header-size'
  | 'mime-depth'
  | 'mime-parts'
  | 'parse-time';

/** The message broke an explicit limit; it is quarantined with `limit` as the reason. */
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

interface SplitterNode {
  type: 'node' | 'data' | 'body';
  parentNode?: SplitterNode | false;
}

/**
 * Walks the MIME tree without decoding any body, so that depth, part count and header size are known
 * before the full parser spends memory on the message.
 */
async function scanStructure(raw: Buffer, limits: MailLimits, signal: AbortSignal): Promise<void> {
  const splitter: NodeJS.ReadWriteStream & { destroy(): void } = new Splitter({
    maxHeadSize: limits.maxHeaderBytes,
    maxChildNodes: limits.maxMimeParts,
  });
  let parts = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      splitter.destroy();
      reject(error);
    };
    signal.addEventListener('abort', () => fail(signal.reason as Error), { once: true });
    splitter.on('data', (chunk: SplitterNode) => {
      if (chunk.type !== 'node') return;
      parts += 1;
      if (parts > limits.maxMimeParts) {
        fail(new MailLimitError('mime-parts', `more than ${limits.maxMimeParts} MIME parts`));
        return;
      }
      let depth = 0;
      for (let node = chunk.parentNode; node; node = node.parentNode) depth += 1;
      if (depth > limits.maxMimeDepth) {
        fail(new MailLimitError('mime-depth', `MIME nesting deeper than ${limits.maxMimeDepth}`));
      }
    });
    splitter.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'EMAXLEN' && /header/i.test(error.message)) {
        fail(new MailLimitError('header-size', `a MIME header block exceeds ${limits.maxHeaderBytes} bytes`));
      } else if (error.code === 'EMAXLEN') {
        fail(new MailLimitError('mime-parts', `more than ${limits.maxMimeParts} MIME parts`));
      } else {
        fail(new MailParseError(`MIME structure: ${error.message}`));
      }
    });
    splitter.on('end', () => resolve());
    Readable.from(chunksOf(raw)).pipe(splitter as unknown as NodeJS.WritableStream);
  });
}

/** Parses a raw message under `limits`; throws MailLimitError or MailParseError, never hangs past the time limit. */
export async function parseInboundMail(raw: Buffer, limits: MailLimits = DEFAULT_MAIL_LIMITS): Promise<InboundMail> {
  if (raw.length > limits.maxMessageBytes) {
    throw new MailLimitError('message-size', `message is ${raw.length} bytes, limit ${limits.maxMessageBytes}`);
  }
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new MailLimitError('parse-time', `parsing took longer than ${limits.parseTimeoutMs} ms`)),
    limits.parseTimeoutMs,
  );
  try {
    await scanStructure(raw, limits, controller.signal);
    // Fed in chunks so that, past the time limit, destroying the input stops the parser's work too.
    const input = Readable.from(chunksOf(raw));
    controller.signal.addEventListener('abort', () => input.destroy(), { once: true });
    const parsed = await withAbort(
      simpleParser(input, {
        maxHtmlLengthToParse: limits.maxHtmlToTextBytes,
        // Not part of the published typings, but honoured by the splitter mailparser builds.
        ...({ maxHeadSize: limits.maxHeaderBytes, maxChildNodes: limits.maxMimeParts } as object),
      }),
      controller.signal,
    );
    const mail = toInboundMail(parsed, limits);
    if (!hasReplacementCharacters(mail) && !FLOWED_PARAMETER.test(raw.toString('latin1'))) return mail;
    const rewritten = await withAbort(rewriteTextParts(raw), controller.signal);
    if (!rewritten) return mail;
    const reparsed = toInboundMail(
      await withAbort(simpleParser(rewritten.raw, { maxHtmlLengthToParse: limits.maxHtmlToTextBytes }), controller.signal),
      limits,
    );
    if (rewritten.flowed && reparsed.text) reparsed.text = decodeFlowed(reparsed.text, rewritten.delSp);
    return countReplacements(reparsed) <= countReplacements(mail) ? reparsed : mail;
  } catch (error) {
    if (error instanceof MailLimitError || error instanceof MailParseError) throw error;
    throw new MailParseError(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}

const REPLACEMENT = '\uFFFD';

function countReplacements(mail: InboundMail): number {
  return `${mail.text ?? ''}${mail.html ?? ''}`.split(REPLACEMENT).length - 1;
}

function hasReplacementCharacters(mail: InboundMail): boolean {
  return countReplacements(mail) > 0;
}

interface RewritableNode {
  type: string;
  contentType?: string | false;
  charset?: string | false;
  flowed?: boolean;
  delSp?: boolean;
  parentNode?: RewritableNode | false;
  setCharset?(charset: string): void;
  setContentType?(contentType?: string): void;
}

/**
 * Rewrites text parts' Content-Type where mailparser would otherwise decode them wrongly:
 * - a charset declared on the multipart but not on its text parts (seen with GBK in signed mail) would be
 *   decoded as UTF-8 and yield U+FFFD, so such parts get their nearest ancestor's charset;
 * - format=flowed is dropped, because mailparser joins flowed lines across a change of quote depth
 *   (`> Hi ` + `Hello` becomes `> Hi Hello`), which RFC 3676 §4.5 forbids; decodeFlowed does it properly.
 * Returns undefined when no part needed either.
 */
async function rewriteTextParts(raw: Buffer): Promise<{ raw: Buffer; flowed: boolean; delSp: boolean } | undefined> {
  let changed = false;
  let flowed = false;
  let delSp = false;
  const fixer = new Transform({
    objectMode: true,
    transform(chunk: RewritableNode, _encoding, callback) {
      if (chunk.type === 'node' && typeof chunk.contentType === 'string' && chunk.contentType.startsWith('text/')) {
        if (!chunk.charset) {
          for (let parent = chunk.parentNode; parent; parent = parent.parentNode) {
            if (parent.charset) {
              chunk.setCharset?.(parent.charset);
              changed = true;
              break;
            }
          }
        }
        if (chunk.flowed && chunk.contentType === 'text/plain') {
          flowed = true;
          delSp = delSp || Boolean(chunk.delSp);
          chunk.flowed = false;
          chunk.delSp = false;
          chunk.setContentType?.();
          changed = true;
        }
      }
      callback(null, chunk);
    },
  });
  const output: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const joiner = new Joiner() as unknown as NodeJS.ReadWriteStream;
    const splitter = new Splitter() as unknown as NodeJS.ReadWriteStream;
    for (const stream of [splitter, fixer, joiner]) stream.on('error', reject);
    joiner.on('data', (chunk: Buffer) => output.push(chunk));
    joiner.on('end', () => resolve());
    Readable.from([raw]).pipe(splitter).pipe(fixer).pipe(joiner);
  });
  return changed ? { raw: Buffer.concat(output), flowed, delSp } : undefined;
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

const FLOWED_PARAMETER = /format\s*=\s*"?flowed/i;

const FEED_CHUNK_BYTES = 64 * 1024;

function* chunksOf(raw: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < raw.length; offset += FEED_CHUNK_BYTES) yield raw.subarray(offset, offset + FEED_CHUNK_BYTES);
}

function withAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    work.then(resolve, reject);
  });
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

function headerLinesOf(parsed: ParsedMail): HeaderLine[] {
  return parsed.headerLines.map(({ key, line }) => {
    const colon = line.indexOf(':');
    const value = colon === -1 ? '' : line.slice(colon + 1);
    return { key: key.toLowerCase(), value: value.replace(/\r?\n[ \t]+/g, ' ').trim() };
  });
}

function rootContentType(parsed: ParsedMail): string {
  const header = parsed.headers.get('content-type');
  if (header && typeof header === 'object' && 'value' in header && typeof header.value === 'string') {
    return header.value.toLowerCase();
  }
  return 'text/plain';
}

function toAttachment(attachment: ParsedMail['attachments'][number]): ParsedAttachment {
  return {
    filename: attachment.filename ?? 'attachment',
    contentType: attachment.contentType.toLowerCase(),
    size: attachment.size ?? attachment.content.length,
    sha256: createHash('sha256').update(attachment.content).digest('hex'),
    ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
    content: attachment.content,
  };
}

function toInboundMail(parsed: ParsedMail, limits: MailLimits): InboundMail {
  const references = messageIdsIn(parsed.references).slice(-limits.maxReferences);
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : undefined;
  const [from] = addressesOf(parsed.from);
  return {
    ...(parsed.messageId ? { messageId: messageIdsIn(parsed.messageId)[0] ?? parsed.messageId } : {}),
    inReplyTo: messageIdsIn(parsed.inReplyTo).slice(0, limits.maxReferences),
    references,
    ...(from ? { from } : {}),
    replyTo: addressesOf(parsed.replyTo),
    to: addressesOf(parsed.to),
    cc: addressesOf(parsed.cc),
    subject: parsed.subject ?? '',
    ...(date ? { date } : {}),
    headers: headerLinesOf(parsed),
    contentType: rootContentType(parsed),
    ...(parsed.text ? { text: parsed.text } : {}),
    ...(typeof parsed.html === 'string' && parsed.html ? { html: parsed.html } : {}),
    attachments: parsed.attachments.map(toAttachment),
  };
}
