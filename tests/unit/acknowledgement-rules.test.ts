import { describe, expect, it } from 'vitest';
import { truncateText } from '../../functions/inbound/receive-message';
import { buildAcknowledgement, describeDuration } from '../../functions/outbound/acknowledgement';

describe('first-response promise', () => {
  it('is said the way a person would say it, in both languages', () => {
    expect(describeDuration(1440, 'en')).toBe('24 hours');
    expect(describeDuration(60, 'en')).toBe('1 hour');
    expect(describeDuration(15, 'en')).toBe('15 minutes');
    expect(describeDuration(4320, 'en')).toBe('3 days');
    expect(describeDuration(1440, 'zh')).toBe('24 小时');
    expect(describeDuration(15, 'zh')).toBe('15 分钟');
    expect(describeDuration(90, 'en')).toBe('90 minutes');
    // A business-hours due time over a weekend is rounded up, never promised sooner than it is.
    expect(describeDuration(1764, 'en')).toBe('30 hours');
    expect(describeDuration(1764, 'zh')).toBe('30 小时');
    expect(describeDuration(3 * 1440 + 1, 'en')).toBe('4 days');
  });
});

describe('acknowledgement', () => {
  it('threads under the customer’s message, carries our own id in References, and marks itself automatic', () => {
    // Act
    const mail = buildAcknowledgement({
      ticket: { id: 't1', ref: 'K7Q3XM', subject: 'Deposit\r\nBcc: evil@x', language: 'en', priority: 'normal', createdAt: '2026-11-21T10:00:00Z', firstResponseDueAt: '2026-11-22T10:00:00Z' },
      customer: 'dana@customer.example',
      customerMessageId: '<c2@x>',
      customerReferences: ['<c1@x>'],
      support: { name: 'Support', address: 'support@concierge.test' },
      replyAddress: 'support+k7q3xm-abc@concierge.test',
      messageId: '<ack.t1@concierge.test>',
    });

    // Assess
    expect(mail.subject).toBe('[#K7Q3XM] We received your message: Deposit Bcc: evil@x');
    expect(mail.inReplyTo).toBe('<c2@x>');
    expect(mail.references).toEqual(['<c1@x>', '<c2@x>', '<ack.t1@concierge.test>']);
    expect(mail.headers['Auto-Submitted']).toBe('auto-replied');
    expect(mail.text).toContain('within 24 hours');
    expect(mail.text).toMatch(/never ask for your password, seed phrase or 2FA/);
  });
});

describe('stored text', () => {
  it('is cut by characters and by UTF-8 bytes, never inside a character', () => {
    const chinese = '提'.repeat(50_000);
    const cut = truncateText(chinese, 64_000, 100_000);
    expect(cut.truncated).toBe(true);
    expect(Buffer.byteLength(cut.text, 'utf8')).toBeLessThanOrEqual(100_000);
    expect(cut.text).not.toContain('\uFFFD');
    expect(truncateText('short', 10, 10)).toEqual({ text: 'short', truncated: false });
  });
});
