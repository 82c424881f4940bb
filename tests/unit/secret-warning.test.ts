import { describe, expect, it } from 'vitest';
import { buildSecretWarning, type SecretWarningInput } from '../../functions/outbound/secret-warning';

const base: SecretWarningInput = {
  ticket: { ref: 'K7Q3XM', language: 'en' },
  customer: 'alice@client.example',
  kinds: ['recovery-phrase'],
  customerMessage: { messageId: '<m2@client.example>', references: ['<m1@client.example>'] },
  support: { name: 'Exchange Support', address: 'support@exchange.example' },
  replyAddress: 'support+k7q3xm.sig@exchange.example',
  messageId: '<warn.k7q3xm.abc.sig@exchange.example>',
};

describe('the warning to a customer who sent a secret', () => {
  it('says support never asks, to treat it as compromised, and one step per kind, in order', () => {
    // Act
    const mail = buildSecretWarning({ ...base, kinds: ['recovery-phrase', 'password', 'one-time-code'] });

    // Assess
    expect(mail.subject).toBe('[#K7Q3XM] Security warning: never send a recovery (seed) phrase, a password, a one-time (2FA or SMS) code by email');
    expect(mail.text).toContain('Our staff will never ask for your password, recovery phrase, private key or any code.');
    expect(mail.text).toContain('Treat what you sent as compromised');
    const steps = mail.text.split('\n').filter((line) => /^\d\. /.test(line));
    expect(steps.map((step) => step.slice(0, 20))).toEqual(['1. Move all funds fr', '2. Change your passw', '3. Reset two-factor ']);
  });

  it('is written in Chinese for a Chinese ticket', () => {
    // Act
    const mail = buildSecretWarning({ ...base, ticket: { ref: 'K7Q3XM', language: 'zh' }, kinds: ['private-key'] });

    // Assess
    expect(mail.subject).toBe('[#K7Q3XM] 安全警告：请勿通过邮件发送私钥');
    expect(mail.text).toContain('请将该私钥视为已泄露');
    expect(mail.text).toContain('1. 请立即将该私钥控制的全部资产转入新钱包');
    expect(mail.text).not.toContain('Move all funds');
  });

  it('threads under the message that held the secret, marks itself automatic, and carries the code only when given', () => {
    // Act
    const plain = buildSecretWarning(base);
    const withCode = buildSecretWarning({ ...base, antiPhishingCode: 'BLUE_OWL_42' });

    // Assess
    expect(plain).toMatchObject({ to: 'alice@client.example', replyTo: base.replyAddress, inReplyTo: '<m2@client.example>', references: ['<m1@client.example>', '<m2@client.example>', base.messageId] });
    expect(plain.headers['Auto-Submitted']).toBe('auto-replied');
    expect(plain.text).not.toContain('Anti-phishing code');
    expect(withCode.text.split('\n')[0]).toBe('Anti-phishing code: BLUE_OWL_42');
  });
});
