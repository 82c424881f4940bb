import { describe, expect, it } from 'vitest';
import { DEFAULT_MAIL_LIMITS, MailLimitError, messageIdsIn, parseInboundMail, validateMailLimits } from '../../functions/mail/parse';
import { listCorpusFiles, parseCorpusFile } from '../helpers/corpus';
import { readFileSync } from 'node:fs';

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

  it('stops a parse that runs past its time limit', async () => {
    // Prepare: many parts and a 1 ms budget
    const parts = Array.from({ length: 200 }, (_, i) => `--p\r\nContent-Type: text/plain\r\n\r\n${'word '.repeat(2000)} ${i}\r\n`).join('');
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary="p"\r\n\r\n${parts}--p--\r\n`);

    // Act / Assess
    const error = await parseInboundMail(raw, { ...DEFAULT_MAIL_LIMITS, parseTimeoutMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailLimitError);
    expect((error as MailLimitError).limit).toBe('parse-time');
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
