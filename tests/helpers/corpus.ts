/**
 * Reads messages of the shared real-mail corpus (`../shared/corpus`, read-only) into the shapes the pipeline
 * uses, so tests can run code nobody on this project wrote the input for.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import type { ClassifyInput } from '../../functions/mail/classify';
import type { HeaderLine, MailAddress, Verdicts } from '../../functions/mail/types';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const CORPUS_ROOT = resolve(PROJECT_ROOT, '../shared/corpus');

/** Concierge's own address as the corpus-driven tests assume it. */
export const TEST_OWN_ADDRESSES: readonly string[] = ['support@concierge.test'];

/** Licence and readme files sit beside the messages; they are not mail. */
const NOT_MAIL = /^(?:license|readme|copying)(?:\.\w+)?$/i;

export interface CorpusMessage {
  /** Absolute path. */
  path: string;
  /** Path relative to the corpus root, for test names and failure messages. */
  name: string;
  raw: Buffer;
  headers: HeaderLine[];
  from?: MailAddress;
  /**
   * Stand-in for SES's MAIL FROM, which a stored file does not keep: the address in the topmost Return-Path
   * (`''` when it is `<>`), else the From address, else `'unknown'` — never `''`, so a missing header is not
   * mistaken for a null sender.
   */
  envelopeSender: string;
  /** Where `envelopeSender` came from, so a test can say how honest the stand-in is. */
  envelopeSource: 'return-path' | 'from' | 'none';
  contentType: string;
  subject: string;
  /** Plain text as mailparser produced it (from HTML when there is no text part); `''` when none. */
  text: string;
}

/** Regular files in `dir` (absolute, or relative to the corpus root), sorted, licence and readme files left out. */
export function listCorpusFiles(dir: string): string[] {
  const absolute = isAbsolute(dir) ? dir : join(CORPUS_ROOT, dir);
  return readdirSync(absolute)
    .filter((entry) => !NOT_MAIL.test(entry))
    .map((entry) => join(absolute, entry))
    .filter((path) => statSync(path).isFile())
    .sort();
}

export async function parseCorpusFile(path: string): Promise<CorpusMessage> {
  const raw = readFileSync(path);
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });

  const headers: HeaderLine[] = mail.headerLines.map(({ key, line }) => ({
    key: key.toLowerCase(),
    value: decodeEncodedWords(unfold(valueOfLine(line))),
  }));

  const first = mail.from?.value[0];
  const from: MailAddress | undefined = first?.address
    ? { address: first.address.toLowerCase(), name: first.name }
    : undefined;

  const returnPath = headers.find((header) => header.key === 'return-path')?.value;
  let envelopeSender: string;
  let envelopeSource: CorpusMessage['envelopeSource'];
  if (returnPath !== undefined) {
    envelopeSender = angleAddress(returnPath);
    envelopeSource = 'return-path';
  } else if (from) {
    envelopeSender = from.address;
    envelopeSource = 'from';
  } else {
    envelopeSender = 'unknown';
    envelopeSource = 'none';
  }

  const contentTypeHeader = mail.headers.get('content-type');
  const contentType =
    contentTypeHeader && typeof contentTypeHeader === 'object' && 'value' in contentTypeHeader
      ? String(contentTypeHeader.value).toLowerCase()
      : 'text/plain';

  return {
    path,
    name: relative(CORPUS_ROOT, path) || basename(path),
    raw,
    headers,
    from,
    envelopeSender,
    envelopeSource,
    contentType,
    subject: mail.subject ?? '',
    text: mail.text ?? '',
  };
}

export function toClassifyInput(
  message: CorpusMessage,
  overrides: { ownAddresses?: readonly string[]; verdicts?: Pick<Verdicts, 'spam' | 'virus'> } = {},
): ClassifyInput {
  return {
    headers: message.headers,
    from: message.from,
    envelopeSender: message.envelopeSender,
    contentType: message.contentType,
    subject: message.subject,
    ownAddresses: [...(overrides.ownAddresses ?? TEST_OWN_ADDRESSES)],
    verdicts: overrides.verdicts ?? { spam: 'PASS', virus: 'PASS' },
  };
}

function valueOfLine(line: string): string {
  const colon = line.indexOf(':');
  return colon < 0 ? '' : line.slice(colon + 1);
}

function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '').trim();
}

/** `<a@b>` → `a@b`; `<>` → `''`; a bare address is kept. */
function angleAddress(value: string): string {
  const match = value.match(/<([^>]*)>/);
  return (match ? (match[1] ?? '') : value).trim().toLowerCase();
}

const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bq])\?([^?\s]*)\?=/gi;

/** RFC 2047 encoded words, so header values match the `HeaderLine` contract (MIME-decoded). */
export function decodeEncodedWords(value: string): string {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(ENCODED_WORD, (word, charset: string, encoding: string, text: string) => {
    try {
      const bytes =
        encoding.toLowerCase() === 'b'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9a-f]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return new TextDecoder(charset.toLowerCase()).decode(bytes);
    } catch {
      return word;
    }
  });
}
