/**
 * Outbound MIME: what functions/outbound/compose-mime.ts writes itself must be what nodemailer's composer
 * writes for the same message (the header block byte for byte, the text decoding to the same), and whatever
 * it cannot write that way goes to nodemailer.
 */
import libqp from 'libqp';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { OutboundMail } from '../../functions/outbound/acknowledgement';
import { composeMime, composeOrdinary, composeWithNodemailer } from '../../functions/outbound/compose-mime';

const date = new Date('2026-11-21T10:00:00Z');

/** The header block as written, and the text as a reader gets it. */
function readBack(raw: Buffer): { head: string; text: string; longestBodyLine: number } {
  const message = raw.toString('latin1');
  const split = message.indexOf('\r\n\r\n');
  const head = message.slice(0, split);
  const body = message.slice(split + 4);
  const quotedPrintable = /^Content-Transfer-Encoding: quoted-printable$/m.test(head);
  const text = quotedPrintable ? Buffer.from(libqp.decode(body)).toString('utf8') : Buffer.from(body, 'latin1').toString('utf8');
  return { head, text, longestBodyLine: Math.max(...body.split('\r\n').map((line) => line.length)) };
}

const acknowledgement: OutboundMail = {
  from: { name: 'Concierge Support', address: 'support@concierge.test' },
  to: 'alice@customer.example',
  replyTo: 'support+ab12-xyz@concierge.test',
  subject: '[#AB12] We received your message: Withdrawal pending',
  text: [
    'Hello,',
    '',
    'We have received your message and opened ticket AB12. A member of our team will reply within 24 hours.',
    'To add details (order numbers, transaction times, screenshots), reply to this email and keep the ticket reference in the subject.',
    '',
    'Concierge Support',
  ].join('\n'),
  messageId: '<ack.AB12.xyz@concierge.test>',
  inReplyTo: '<abc@client.example>',
  references: ['<r1@x.example>', '<abc@client.example>', '<ack.AB12.xyz@concierge.test>'],
  headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'X-Concierge-Ticket': 'AB12' },
};

const ordinary: Record<string, OutboundMail> = {
  'an English acknowledgement': acknowledgement,
  'a Chinese subject long enough to need several encoded words': {
    ...acknowledgement,
    subject: '[#AB12] 我们已收到您的邮件：请帮我看一下提现为什么一直 pending，谢谢！这是一个很长的主题，用来测试编码词的折行和拆分',
  },
  'a Chinese text with long lines': {
    ...acknowledgement,
    text: `您好，\n\n我们已收到您的邮件，工单编号为 AB12。客服人员将在 24 小时 内回复您。\n${'长'.repeat(200)}\n\n${'请问 withdrawal 为什么 pending 了三天，订单号 8812734。'.repeat(30)}`,
  },
  'a quoted word in the subject': { ...acknowledgement, subject: 'He said "urgent" twice' },
  'emoji across encoded words': { ...acknowledgement, subject: `Re 😀 withdrawal ${'😀'.repeat(16)} end`, text: 'emoji 😀\n' },
  'a Chinese display name': { ...acknowledgement, from: { name: '客服中心 Support', address: 'support@concierge.test' } },
  'a display name with specials': { ...acknowledgement, from: { name: 'Support, "Desk" \\ 24/7', address: 'support@concierge.test' } },
  'no display name': { ...acknowledgement, from: { name: '', address: 'support@concierge.test' } },
  'a long References header': {
    ...acknowledgement,
    references: Array.from({ length: 30 }, (_, i) => `<very-long-message-id-${i}-abcdefghijklmnopqrstuvwxyz@mail.gmail.example>`),
  },
  'no In-Reply-To and no References': { ...acknowledgement, references: [], inReplyTo: undefined } as OutboundMail,
  'an empty subject': { ...acknowledgement, subject: '' },
  'a long ASCII subject': { ...acknowledgement, subject: 'word '.repeat(60) },
  'a subject that is one long word': { ...acknowledgement, subject: 'x'.repeat(200) },
  'a line break pasted into the subject': { ...acknowledgement, subject: 'Withdrawal\r\nBcc: victim@example.com' },
  'long lines, trailing spaces and an equals sign': { ...acknowledgement, text: `${'x'.repeat(300)}${' y '.repeat(100)}\n= trailing space \nend` },
  'CRLF line breaks and a trailing space': { ...acknowledgement, text: 'a\r\nb\r\n\r\nc ' },
  'tabs': { ...acknowledgement, text: 'a\tb\n\tc' },
  'a text that ends with a carriage return': { ...acknowledgement, text: 'line\r' },
  'spaced words wrapped near the end': { ...acknowledgement, text: 'x '.repeat(100) },
  'lines of exactly 76 and 77 characters': { ...acknowledgement, text: `${'x'.repeat(76)}\n${'y'.repeat(77)}` },
};

const unusual: Record<string, OutboundMail> = {
  'an international domain': { ...acknowledgement, to: 'alice@bücher.example' },
  'a quoted local part': { ...acknowledgement, to: '"alice smith"@customer.example' },
  'an upper-case domain': { ...acknowledgement, to: 'alice@Customer.Example' },
  'a customer id with a space': { ...acknowledgement, references: ['<a b@x.example>', acknowledgement.messageId] },
  'a customer id without brackets': { ...acknowledgement, inReplyTo: 'abc@client.example' },
  'a control character in the subject': { ...acknowledgement, subject: 'Withdrawal\u0007pending' },
  'an encoded word typed into the subject': { ...acknowledgement, subject: 'See =?utf-8?q?this?= please' },
  'a control character in the display name': { ...acknowledgement, from: { name: 'Support\u0000', address: 'support@concierge.test' } },
  'a custom header nodemailer capitalises differently': { ...acknowledgement, headers: { 'x-request-id': 'abc' } },
  'a custom header value with non-ASCII': { ...acknowledgement, headers: { 'X-Concierge-Ticket': 'AB12 工单' } },
  'an empty text': { ...acknowledgement, text: '' },
};

describe('outbound MIME', () => {
  for (const [label, mail] of Object.entries(ordinary)) {
    it(`writes ${label} itself, with the headers nodemailer writes and a text that reads the same`, async () => {
      // Act
      const ours = composeOrdinary(mail, date);
      const theirs = await composeWithNodemailer(mail, date);

      // Assess
      expect(ours).toBeDefined();
      const [written, reference] = [readBack(ours!), readBack(theirs)];
      expect(written.head).toBe(reference.head);
      expect(written.text).toBe(reference.text);
      expect(written.longestBodyLine).toBeLessThanOrEqual(Math.max(76, reference.longestBodyLine));
      expect((await composeMime(mail, date)).equals(ours!)).toBe(true);
    });
  }

  for (const [label, mail] of Object.entries(unusual)) {
    it(`leaves ${label} to nodemailer`, async () => {
      // Act / Assess
      expect(composeOrdinary(mail, date)).toBeUndefined();
      expect((await composeMime(mail, date)).equals(await composeWithNodemailer(mail, date))).toBe(true);
    });
  }

  it('writes a message that parses back to what was composed, 7-bit and folded', async () => {
    // Prepare
    const mail = ordinary['a Chinese subject long enough to need several encoded words']!;

    // Act
    const raw = await composeMime({ ...mail, text: ordinary['a Chinese text with long lines']!.text }, date);
    const parsed = await simpleParser(raw);

    // Assess
    expect(parsed.subject).toBe(mail.subject);
    expect(parsed.text?.trimEnd()).toBe(ordinary['a Chinese text with long lines']!.text);
    expect(parsed.messageId).toBe(mail.messageId);
    expect(parsed.inReplyTo).toBe(mail.inReplyTo);
    expect(parsed.references).toEqual(mail.references);
    expect(parsed.headers.get('x-concierge-ticket')).toBe('AB12');
    expect(/^[\x09\x0a\x0d\x20-\x7e]*$/.test(raw.toString('latin1'))).toBe(true);
    expect(Math.max(...raw.toString('latin1').split('\r\n').map((line) => line.length))).toBeLessThanOrEqual(76);
  });
});
