import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  convertibleHtml,
  DEFAULT_MAIL_LIMITS,
  MailLimitError,
  MailParseError,
  messageIdsIn,
  ParseTimeoutError,
  parseInboundMail,
  RawMessageReadError,
  validateMailLimits,
} from '../../functions/mail/parse';
import { headerBlockOf, readSesStampedVerdicts } from '../../functions/mail/ses-verdicts';
import type { RawMessageSource } from '../../functions/mail/types';
import { CORPUS_ROOT, listCorpusFiles, parseCorpusFile } from '../helpers/corpus';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('Chinese charsets (mnako/letters)', () => {
  const files = listCorpusFiles('charsets/letters').filter((file) => /chinese/.test(file));

  it('finds the Chinese messages', () => {
    expect(files.length).toBe(16);
  });

  for (const file of files) {
    it(`${file.slice(file.lastIndexOf('/') + 1)} decodes without replacement characters`, async () => {
      // Act
      const mail = await parseInboundMail(readFileSync(file));

      // Assess
      const text = mail.text ?? '';
      expect(text).not.toContain('\uFFFD');
      expect(text).toContain('石室诗士施氏');
      expect(mail.subject).not.toContain('\uFFFD');
    });
  }

  it('the corpus helper agrees on the subject', async () => {
    const message = await parseCorpusFile(files[0]!);
    expect(message.subject).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('limits', () => {
  it('refuses limits that would switch a protection off', () => {
    expect(() => validateMailLimits({ ...DEFAULT_MAIL_LIMITS, maxMimeDepth: 0 })).toThrow(/maxMimeDepth/);
    expect(() => validateMailLimits({ ...DEFAULT_MAIL_LIMITS, parseTimeoutMs: -1 })).toThrow(/parseTimeoutMs/);
  });

  it('rejects a message over the size limit before parsing it', async () => {
    const raw = Buffer.alloc(2048, 'a');
    await expect(parseInboundMail(raw, { ...DEFAULT_MAIL_LIMITS, maxMessageBytes: 1024 })).rejects.toMatchObject({ limit: 'message-size' });
  });

  it('refuses a part count, a depth or a header block over its limit, as a limit of the mail', async () => {
    // Prepare
    const parts = Array.from({ length: 5 }, (_, i) => `--p\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    const manyParts = Buffer.from(`Content-Type: multipart/mixed; boundary="p"\r\n\r\n${parts}--p--\r\n`);
    const nested = Buffer.from(
      Array.from({ length: 4 }, (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`).join('') + 'Content-Type: text/plain\r\n\r\ndeep\r\n',
    );
    const longHeader = Buffer.from(`Subject: ${'x'.repeat(4096)}\r\n\r\nbody\r\n`);

    // Act / Assess
    await expect(parseInboundMail(manyParts, { ...DEFAULT_MAIL_LIMITS, maxMimeParts: 3 })).rejects.toMatchObject({ limit: 'mime-parts' });
    await expect(parseInboundMail(nested, { ...DEFAULT_MAIL_LIMITS, maxMimeDepth: 2 })).rejects.toMatchObject({ limit: 'mime-depth' });
    await expect(parseInboundMail(longHeader, { ...DEFAULT_MAIL_LIMITS, maxHeaderBytes: 1024 })).rejects.toMatchObject({ limit: 'header-size' });
  });
});

describe('running out of time', () => {
  const parts = Array.from({ length: 200 }, (_, i) => `--p\r\nContent-Type: text/plain\r\n\r\n${'word '.repeat(2000)} ${i}\r\n`).join('');
  const raw = Buffer.from(`From: a@b.example\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n${parts}--p--\r\n`);

  it('is a retryable failure, not a limit of the mail', async () => {
    // Prepare: the time-out has already happened (an injected signal, so nothing depends on the clock)
    const timeout = AbortSignal.abort();

    // Act
    const error = await parseInboundMail(raw, DEFAULT_MAIL_LIMITS, { timeout }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ParseTimeoutError);
    expect(error).not.toBeInstanceOf(MailLimitError);
    expect(error).not.toBeInstanceOf(MailParseError);
    expect((error as ParseTimeoutError).retryable).toBe(true);
  });

  it('stops a parse midway when the time-out comes during it', async () => {
    // Prepare: time runs out as soon as the parser has read the message's headers
    const controller = new AbortController();
    const { MailParser } = await import('mailparser');
    const original = MailParser.prototype.emit;
    const spy = function (this: InstanceType<typeof MailParser>, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'headers') controller.abort();
      return original.call(this, event, ...args);
    };
    MailParser.prototype.emit = spy as typeof original;

    // Act
    const error = await parseInboundMail(raw, DEFAULT_MAIL_LIMITS, { timeout: controller.signal })
      .catch((e: unknown) => e)
      .finally(() => (MailParser.prototype.emit = original));

    // Assess
    expect(error).toBeInstanceOf(ParseTimeoutError);
  });

  it('gives the same message the same verdict however long the budget', async () => {
    // Act: a message parsed with the default budget and with an already-spent one
    const parsed = await parseInboundMail(raw);
    const timedOut = await parseInboundMail(raw, DEFAULT_MAIL_LIMITS, { timeout: AbortSignal.abort() }).catch((e: unknown) => e);

    // Assess: the message itself is fine; only the attempt failed, and says so
    expect(parsed.text).toContain('word word');
    expect(timedOut).toBeInstanceOf(ParseTimeoutError);
  });
});

describe('HTML', () => {
  const screenshot = `data:image/png;base64,${Buffer.alloc(1_900_000, 7).toString('base64')}`;
  const htmlOnly = (html: string) =>
    Buffer.from(`From: a@b.example\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`);

  it('keeps a 2.5 MB HTML-only mail whose bulk is a pasted screenshot, without the data: URI', async () => {
    // Prepare
    const raw = htmlOnly(`<p>My withdrawal is stuck, see:</p><img src="${screenshot}"><p>Order 8812734</p>`);
    expect(raw.length).toBeGreaterThan(2_500_000);

    // Act
    const mail = await parseInboundMail(raw);

    // Assess
    expect(mail.html?.trim()).toBe('<p>My withdrawal is stuck, see:</p><img src="data:,"><p>Order 8812734</p>');
  });

  it('keeps HTML over the conversion limit unconverted instead of refusing the message', async () => {
    // Prepare: 3 MB of real markup, no data: URI
    const raw = htmlOnly(`<p>${'withdrawal pending '.repeat(160_000)}</p>`);

    // Act
    const mail = await parseInboundMail(raw);

    // Assess
    expect(mail.html).toBeUndefined();
    expect(mail.subject).toBe('s');
  });

  it('drops every data: URI and nothing else', () => {
    expect(convertibleHtml('<img src="data:image/gif;base64,R0lGOD"><a href=\'data:text/plain,hi\'>x</a> metadata: yes', DEFAULT_MAIL_LIMITS)).toBe(
      '<img src="data:,"><a href=\'data:,\'>x</a> metadata: yes',
    );
  });
});

describe('large bodies', () => {
  it('decodes only the first maxTextPartBytes of a plain-text body, cut at a line end', async () => {
    // Prepare: 4 MB of numbered lines
    const lines = Array.from({ length: 200_000 }, (_, i) => `line ${String(i).padStart(12, '0')}`);
    const raw = Buffer.from(`From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${lines.join('\r\n')}\r\n`);
    const limits = { ...DEFAULT_MAIL_LIMITS, maxTextPartBytes: 64 * 1024 };

    // Act
    const mail = await parseInboundMail(raw, limits);

    // Assess: exactly the whole lines that fit
    const kept = Math.floor(limits.maxTextPartBytes / 19);
    expect(mail.text).toBe(`${lines.slice(0, kept).join('\n')}\n`);
  });

  it('stops reading a single-part message once its text is cut', async () => {
    // Prepare: 20 MB of plain text, its reads counted (the parser is fed 64 KiB pieces of the buffer)
    const line = 'BTC/USDT buy 0.015 at 91234.56 order 8812734 filled\r\n';
    const raw = Buffer.from(`From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${line.repeat(Math.ceil(20_000_000 / line.length))}`);
    const pieces = Math.ceil(raw.length / (64 * 1024));
    const subarray = raw.subarray.bind(raw);
    let reads = 0;
    raw.subarray = (start?: number, end?: number) => {
      reads += 1;
      return subarray(start, end);
    };

    // Act
    const mail = await parseInboundMail(raw, { ...DEFAULT_MAIL_LIMITS, maxTextPartBytes: 64 * 1024 });

    // Assess: the text is the capped prefix, and the parser read a handful of pieces, not all of them
    expect(mail.text?.startsWith(line.trimEnd())).toBe(true);
    expect(pieces).toBeGreaterThan(300);
    expect(reads).toBeLessThan(40);
  });

  it('keeps nothing past a limit that falls exactly on a line end', async () => {
    // Prepare: 19-byte lines and room for exactly 100 of them
    const lines = Array.from({ length: 1_000 }, (_, i) => `line ${String(i).padStart(12, '0')}`);
    const raw = Buffer.from(`From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${lines.join('\r\n')}\r\n`);

    // Act
    const mail = await parseInboundMail(raw, { ...DEFAULT_MAIL_LIMITS, maxTextPartBytes: 19 * 100 });

    // Assess
    expect(mail.text).toBe(`${lines.slice(0, 100).join('\n')}\n`);
  });

  it('keeps an attachment as its decoded chunks, with size and SHA-256 of the whole', async () => {
    // Prepare
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const base64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(
      'From: a@b.example\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n' +
        '--p\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n' +
        `--p\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="statement.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64}\r\n--p--\r\n`,
    );

    // Act
    const mail = await parseInboundMail(raw);

    // Assess
    const [attachment] = mail.attachments;
    expect(attachment).toMatchObject({ filename: 'statement.pdf', contentType: 'application/pdf', size: content.length });
    expect(Buffer.concat(attachment!.content).equals(content)).toBe(true);
    expect(attachment!.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(mail.text?.trim()).toBe('see attached');
  });
});

describe('message ids', () => {
  it('reads bracketed ids and keeps a bare one whole', () => {
    expect(messageIdsIn('<a@x> <b@y>\r\n <c@z>')).toEqual(['<a@x>', '<b@y>', '<c@z>']);
    expect(messageIdsIn('bare@host')).toEqual(['<bare@host>']);
    expect(messageIdsIn('no id here')).toEqual([]);
  });

  it('keeps only the newest References when there are too many', async () => {
    const references = Array.from({ length: 150 }, (_, i) => `<r${i}@x>`).join(' ');
    const mail = await parseInboundMail(Buffer.from(`From: a@b.example\r\nReferences: ${references}\r\nSubject: s\r\n\r\nbody\r\n`));
    expect(mail.references).toHaveLength(DEFAULT_MAIL_LIMITS.maxReferences);
    expect(mail.references.at(-1)).toBe('<r149@x>');
  });
});

describe('format=flowed', () => {
  it('ends a flowed paragraph where the quote depth changes (RFC 3676 §4.5)', async () => {
    // Prepare: Thunderbird's bottom-posted reply, a flowed quoted line directly above the new text
    const raw = Buffer.from(
      'From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset="us-ascii"; format="flowed"\r\n\r\nOn 1/1, X wrote:\r\n> Hi \r\nHello\r\n',
    );

    // Act
    const mail = await parseInboundMail(raw);

    // Assess
    expect(mail.text?.trimEnd().split('\n')).toEqual(['On 1/1, X wrote:', '> Hi ', 'Hello']);
  });

  it('joins soft breaks at the same depth, honours DelSp and never flows the signature separator', async () => {
    const { decodeFlowed } = await import('../../functions/mail/parse');
    expect(decodeFlowed('one \ntwo\n> a \n> b\n-- \nsig', false)).toBe('one two\n> a b\n-- \nsig');
    expect(decodeFlowed('Chinese没有 \n空格', true)).toBe('Chinese没有空格');
  });
});

describe('headers of all MIME parts together', () => {
  it('are capped, so hundreds of parts with 100 KB encoded-word file names are refused by size, not by time', async () => {
    // Prepare: 40 parts, each header block 100 KB of encoded-words: every part within the per-part limit
    const name = `=?utf-8?b?${Buffer.from('x'.repeat(70)).toString('base64')}?=`;
    const longName = Array.from({ length: 1_000 }, () => name).join('\r\n ');
    const part = `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename="${longName}"\r\n\r\nQUJD\r\n`;
    const raw = Buffer.from(`From: a@b.example\r\nSubject: many names\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${part.repeat(40)}--b--\r\n`);

    // Act and assess
    await expect(parseInboundMail(raw)).rejects.toMatchObject({ name: 'MailLimitError', limit: 'total-header-size' });
    await expect(parseInboundMail(raw, { ...DEFAULT_MAIL_LIMITS, maxTotalHeaderBytes: 8 * 1024 * 1024 })).resolves.toMatchObject({ subject: 'many names' });
  });
});

describe('a message read as a stream', () => {
  /** A real message as SES receiving stored it, SES's block on top. */
  const stamped = readFileSync(join(CORPUS_ROOT, 'bounces/sisimai/bsd/lhost-postfix-30.eml'));

  /** `raw` as a stream of `size`-byte pieces, failing with `failure` after `failAfter` pieces. */
  function pieces(raw: Buffer, size: number, failAfter = Infinity, failure = new Error('socket hang up')): RawMessageSource {
    return {
      size: raw.length,
      open: async function* () {
        for (let offset = 0, count = 0; offset < raw.length; offset += size, count += 1) {
          if (count >= failAfter) throw failure;
          yield raw.subarray(offset, offset + size);
        }
      },
    };
  }

  it('parses as from one buffer, and keeps the raw top header section however the bytes were cut', async () => {
    // Act
    const streamed = await parseInboundMail(pieces(stamped, 7));
    const whole = await parseInboundMail(stamped);

    // Assess
    expect(streamed).toEqual(whole);
    expect(streamed.headerBlock).toBe(headerBlockOf(stamped));
    expect(readSesStampedVerdicts(streamed.headerBlock)).toMatchObject({ spf: 'PASS', spam: 'PASS', virus: 'PASS' });
  });

  it('makes a read that fails midway a retryable failure, not a verdict on the mail', async () => {
    // Act
    const error = await parseInboundMail(pieces(stamped, 1024, 3)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RawMessageReadError);
    expect(error).not.toBeInstanceOf(MailParseError);
    expect((error as RawMessageReadError).retryable).toBe(true);
  });

  it('makes a read shorter or longer than the stated size a retryable failure', async () => {
    // Prepare
    const short: RawMessageSource = { size: stamped.length + 10, open: () => [stamped] };
    const long: RawMessageSource = { size: stamped.length - 10, open: () => [stamped] };

    // Act and assess (the size limit is checked against the stated size, before any read)
    await expect(parseInboundMail(short)).rejects.toBeInstanceOf(RawMessageReadError);
    await expect(parseInboundMail(long)).rejects.toBeInstanceOf(RawMessageReadError);
    await expect(parseInboundMail(long, { ...DEFAULT_MAIL_LIMITS, maxMessageBytes: 1024 })).rejects.toMatchObject({ limit: 'message-size' });
  });
});
