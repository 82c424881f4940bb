import { createHash } from 'node:crypto';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist as englishWords } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import { MAX_SCANNED_CHARS, redactAllSecrets, WINDOW_OVERLAP_CHARS } from '../../functions/secrets/detect';
import { isTextAttachment, redactInboundMail } from '../../functions/secrets/redact-mail';
import type { ParsedAttachment } from '../../functions/mail/types';

const phrase = entropyToMnemonic(Uint8Array.from({ length: 16 }, (_, index) => index * 13 + 7), englishWords);
const PHRASE_MARKER = '[redacted: recovery phrase]';

function attachment(content: string | Buffer, fields: Partial<ParsedAttachment> = {}): ParsedAttachment {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  return { filename: 'notes.txt', contentType: 'text/plain', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), content: [bytes.subarray(0, 5), bytes.subarray(5)], ...fields };
}

describe('redactInboundMail', () => {
  it('redacts the subject, the visible text and a text attachment, and names each kind once with where it was', () => {
    // Act
    const result = redactInboundMail({
      subject: 'my password: Hunter2-Winter!',
      visibleText: `Here is my wallet:\n${phrase}\nPlease help.`,
      attachments: [attachment(`backup words ${phrase}`)],
    });

    // Assess
    expect(result.subject).toBe('my password: [redacted: password]');
    expect(result.visibleText).toBe(`Here is my wallet:\n${PHRASE_MARKER}\nPlease help.`);
    expect(result.found).toEqual(['recovery-phrase', 'password']);
    expect(result.where).toEqual(['subject', 'text', 'attachment']);
    const [stored] = result.attachments;
    const storedText = Buffer.concat(stored!.content).toString('utf8');
    expect(storedText).toBe(`backup words ${PHRASE_MARKER}`);
    expect(stored).toMatchObject({ redacted: ['recovery-phrase'], size: Buffer.byteLength(storedText), contentType: 'text/plain; charset=utf-8' });
    expect(stored!.sha256).toBe(createHash('sha256').update(storedText).digest('hex'));
  });

  it('leaves ordinary mail and binary attachments exactly as they were', () => {
    // Prepare
    const image = attachment(Buffer.from(phrase), { filename: 'screenshot.png', contentType: 'image/png' });
    const plain = attachment('Order 1234 was placed on Monday.');

    // Act
    const result = redactInboundMail({ subject: 'Withdrawal pending', visibleText: 'My withdrawal of 0.5 BTC is pending since Monday.', attachments: [image, plain] });

    // Assess
    expect(result).toEqual({ subject: 'Withdrawal pending', visibleText: 'My withdrawal of 0.5 BTC is pending since Monday.', attachments: [image, plain], found: [], where: [] });
  });

  it('finds a secret only in the quoted history, which is stored nowhere but still counts', () => {
    // Act
    const result = redactInboundMail({ subject: 'Re: help', visibleText: 'See below.', fullText: `See below.\n\n> ${phrase}`, attachments: [] });

    // Assess
    expect(result.found).toEqual(['recovery-phrase']);
    expect(result.where).toEqual(['quoted text']);
    expect(result.visibleText).toBe('See below.');
  });

  it('reads a GBK text attachment as Chinese and stores it redacted as UTF-8', () => {
    // Prepare: "密码：" + password in GB18030 (a plain TextEncoder cannot write it, so the bytes are spelled out)
    const gbk = Buffer.concat([Buffer.from([0xc3, 0xdc, 0xc2, 0xeb, 0xa3, 0xba]), Buffer.from('Qw7!zLp9#mN2')]);

    // Act
    const result = redactInboundMail({ subject: 'x', visibleText: 'see attachment', attachments: [attachment(gbk, { filename: 'info.txt' })] });

    // Assess
    expect(result.found).toEqual(['password']);
    expect(Buffer.concat(result.attachments[0]!.content).toString('utf8')).toBe('密码：[redacted: password]');
  });

  it.each([
    ['text/plain', 'a'],
    ['text/csv', 'a'],
    ['application/json', 'a'],
    ['application/octet-stream', 'UTC--2024-01-01T00-00-00.000Z--0123456789abcdef0123456789abcdef01234567'],
    ['application/octet-stream', 'seed.txt'],
  ])('reads %s named %s as text', (contentType, filename) => {
    expect(isTextAttachment({ contentType, filename })).toBe(true);
  });

  it('does not read images or PDFs as text', () => {
    expect(isTextAttachment({ contentType: 'image/png', filename: 'a.png' })).toBe(false);
    expect(isTextAttachment({ contentType: 'application/pdf', filename: 'statement.pdf' })).toBe(false);
  });
});

describe('redactInboundMail: what else of a message holds a secret', () => {
  const read = (stored: ParsedAttachment) => Buffer.concat(stored.content).toString('utf8');

  it('reads a UTF-16 text file, with or without a byte-order mark, and stores it redacted as UTF-8', () => {
    // Prepare
    const withMark = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`words: ${phrase}`, 'utf16le')]);
    const withoutMark = Buffer.from(`words: ${phrase}`, 'utf16le');

    // Act
    const result = redactInboundMail({ subject: 'x', visibleText: 'attached', attachments: [attachment(withMark), attachment(withoutMark)] });

    // Assess
    expect(result.attachments.map(read)).toEqual([`words: ${PHRASE_MARKER}`, `words: ${PHRASE_MARKER}`]);
  });

  it('reads a forwarded message: in place when its text is plain, as its markers alone when encoded', () => {
    // Prepare
    const plain = attachment(`Subject: backup\r\n\r\n${phrase}\r\n`, { filename: 'note.eml', contentType: 'message/rfc822' });
    const encoded = attachment(`Subject: backup\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(phrase).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`, { filename: 'note.eml', contentType: 'message/rfc822' });

    // Act
    const result = redactInboundMail({ subject: 'Fwd', visibleText: 'see attached', attachments: [plain, encoded] });

    // Assess
    expect(result.attachments.map(read)).toEqual([`Subject: backup\r\n\r\n${PHRASE_MARKER}\r\n`, PHRASE_MARKER]);
    expect(result.attachments.map((stored) => stored.redacted)).toEqual([['recovery-phrase'], ['recovery-phrase']]);
  });

  it('reads a forwarded message with a large encoded attachment in one pass, finding the phrase beside it', () => {
    // Prepare: 6 MB of base64 (a PDF, say) after a base64 text part holding the phrase
    const pdf = Buffer.alloc(4_500_000, 0x9c).toString('base64').replace(/.{76}/g, '$&\r\n');
    const text = Buffer.from(`my words: ${phrase}`).toString('base64');
    const forward = attachment(`Subject: backup\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n${text}\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n${pdf}\r\n--b--\r\n`, { filename: 'fwd.eml', contentType: 'message/rfc822' });

    // Act
    const result = redactInboundMail({ subject: 'Fwd', visibleText: 'see attached', attachments: [forward] });

    // Assess
    expect(result.found).toEqual(['recovery-phrase']);
    expect(read(result.attachments[0]!)).toBe(PHRASE_MARKER);
  });

  it.each<[string, string]>([
    ['half a million "<" with no ">"', '<'.repeat(500_000)],
    ['seventy thousand unclosed <style>', '<style>'.repeat(70_000)],
    ['fifty thousand unclosed <script', '<script a'.repeat(50_000)],
  ])('reads hostile HTML in one pass: %s', (_name, html) => {
    // Act
    const result = redactInboundMail({ subject: 'x', visibleText: 'x', html: `${html}${phrase}`, attachments: [] });

    // Assess: the phrase after the hostile run is found unless a style swallows it. A `<script` that never
    // closes its tag hides nothing: its text runs into the phrase, whose first word, glued to `a`, reads as
    // one misspelt word of the phrase.
    expect(result.found).toEqual(html.startsWith('<style') ? [] : ['recovery-phrase']);
  });

  it('reads an HTML file as words: a phrase in its table is found, and the file kept as its markers alone', () => {
    // Prepare
    const html = `<html><body><table><tr>${phrase.split(' ').map((word) => `<td>${word}</td>`).join('')}</tr></table></body></html>`;

    // Act
    const result = redactInboundMail({ subject: 'x', visibleText: 'attached', attachments: [attachment(html, { filename: 'paper-wallet.html', contentType: 'text/html' })] });

    // Assess
    expect(result.found).toEqual(['recovery-phrase']);
    expect(read(result.attachments[0]!)).toBe(PHRASE_MARKER);
  });

  it('reads a small file of no text type that decodes as text, but not a picture', () => {
    // Act
    const result = redactInboundMail({
      subject: 'x',
      visibleText: 'attached',
      attachments: [attachment(phrase, { filename: 'wallet-backup', contentType: 'application/octet-stream' }), attachment(phrase, { filename: 'a.png', contentType: 'image/png' })],
    });

    // Assess
    expect(result.attachments.map(read)).toEqual([PHRASE_MARKER, phrase]);
  });

  it('redacts an attachment name, and counts a secret in the HTML or in a display name', () => {
    // Act
    const named = redactInboundMail({ subject: 'x', visibleText: 'attached', attachments: [attachment(Buffer.from([0x89, 0x50]), { filename: 'password: Hunter2-Winter!.png', contentType: 'image/png' })] });
    const html = redactInboundMail({ subject: 'Re: x', visibleText: 'Any news?', html: `<p>Any news?</p><blockquote><table><tr><td>${phrase.split(' ').join('</td><td>')}</td></tr></table></blockquote>`, attachments: [] });
    const names = redactInboundMail({ subject: 'x', visibleText: 'hello', names: ['password: Hunter2-Winter!'], attachments: [] });

    // Assess
    expect(named.attachments[0]).toMatchObject({ filename: 'password: [redacted: password]', redacted: ['password'] });
    expect([named.found, named.where]).toEqual([['password'], ['attachment name']]);
    expect([html.found, html.where]).toEqual([['recovery-phrase'], ['HTML']]);
    expect([names.found, names.where]).toEqual([['password'], ['names']]);
  });
});

describe('redactAllSecrets', () => {
  it('finds a phrase that straddles the boundary between two scan windows', () => {
    // Prepare: the phrase starts 100 characters before the first window ends
    const filler = 'lorem ipsum dolor sit amet. '.repeat(Math.ceil(MAX_SCANNED_CHARS / 28));
    const before = filler.slice(0, MAX_SCANNED_CHARS - 100);
    const text = `${before}\n${phrase}\n${filler.slice(0, 3 * WINDOW_OVERLAP_CHARS)}`;

    // Act
    const result = redactAllSecrets(text);

    // Assess: nothing dropped, the phrase gone
    expect(result.found).toEqual(['recovery-phrase']);
    expect(result.text).toBe(`${before}\n${PHRASE_MARKER}\n${filler.slice(0, 3 * WINDOW_OVERLAP_CHARS)}`);
  });

  it('scans a text several windows long to its end', () => {
    // Prepare
    const filler = 'The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil((3 * MAX_SCANNED_CHARS) / 45));

    // Act
    const result = redactAllSecrets(`${filler}password: S3cret!Value`);

    // Assess
    expect(result.found).toEqual(['password']);
    expect(result.text.endsWith('password: [redacted: password]')).toBe(true);
    expect(result.text.length).toBe(filler.length + 'password: [redacted: password]'.length);
  });
});
