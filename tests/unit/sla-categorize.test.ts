import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CATEGORIES,
  categorize,
  CATEGORIZE_SCAN_CHARS,
  CATEGORIZE_SCAN_SUBJECT_CHARS,
} from '../../functions/sla/categorize';
import { labelledSetAccuracy, type LabelledMessage } from '../../scripts/bench/categorize-accuracy';

const labelled = JSON.parse(
  readFileSync(new URL('../fixtures/sla/labelled-messages.json', import.meta.url), 'utf8'),
) as LabelledMessage[];

describe('the labelled set', () => {
  it('holds at least 120 messages, half Chinese and half English, with every category at least 8 times', () => {
    // Assess
    expect(labelled.length).toBeGreaterThanOrEqual(120);
    const chinese = labelled.filter((message) => message.language === 'zh').length;
    expect(Math.abs(chinese - (labelled.length - chinese))).toBeLessThanOrEqual(labelled.length * 0.1);
    for (const category of CATEGORIES) {
      expect(labelled.filter((message) => message.category === category).length, category).toBeGreaterThanOrEqual(8);
    }
  });

  it('is categorized with at least 90% accuracy and every security incident urgent', () => {
    // Act
    const score = labelledSetAccuracy(labelled);

    // Assess
    expect(score.messages).toBe(labelled.length);
    expect(score.categoryAccuracy, JSON.stringify(score.misses)).toBeGreaterThanOrEqual(0.9);
    expect(score.securityUrgent).toBe(true);
  });

  it('puts every message labelled security in security, urgent', () => {
    // Act
    const results = labelled
      .filter((message) => message.category === 'security')
      .map((message) => ({ subject: message.subject, ...categorize(message.subject, message.text) }));

    // Assess
    for (const result of results) {
      expect(result, result.subject).toMatchObject({ category: 'security', priority: 'urgent' });
    }
  });
});

describe('categorize', () => {
  it.each<[string, string, string]>([
    ['en', 'Reset my password', 'I forgot my password, please send me a reset link.'],
    ['zh', '忘记密码', '忘记登录密码了，怎么找回？'],
  ])('treats a plain password reset (%s) as account access, not security', (_language, subject, text) => {
    // Act
    const result = categorize(subject, text);

    // Assess
    expect(result.category).toBe('account-access');
    expect(result.priority).not.toBe('urgent');
  });

  it.each<[string, string, string]>([
    ['en', 'Someone reset my password', 'Someone reset my password last night and I cannot log in.'],
    ['en', 'Password reset email', 'I got a password reset email but I did not request it.'],
    ['zh', '密码被人修改', '我的登录密码被人修改了，现在登录不上。'],
    ['zh', '密码重置', '收到密码重置通知，不是我本人操作的。'],
  ])('treats a password reset with a sign of compromise (%s) as urgent security', (_language, subject, text) => {
    // Act
    const result = categorize(subject, text);

    // Assess
    expect(result).toMatchObject({ category: 'security', priority: 'urgent' });
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it.each<[string, string, string]>([
    ['a SIM swap', 'Phone number hijacked', 'My carrier says my SIM card was swapped yesterday.'],
    ['a phishing report', 'Fake support', 'Someone pretending to be you sent me a fake website link.'],
    ['a Chinese phishing report', '钓鱼网站', '有人发给我一个假冒你们的网站。'],
    ['a customer talked into giving a code away', 'Support called me', 'A caller asked for my 2FA code and I gave it.'],
    ['orders the customer disowns', 'Orders on my account', 'There are sell orders I know nothing about.'],
    ['a Chinese report of unknown orders', '陌生订单', '账户里多了几笔卖单，我完全不知情。'],
  ])('treats %s as urgent security', (_name, subject, text) => {
    // Act
    const result = categorize(subject, text);

    // Assess
    expect(result).toMatchObject({ category: 'security', priority: 'urgent' });
  });

  it('raises money that has not arrived to high and keeps a fee question low', () => {
    // Act
    const stuck = categorize('Deposit missing', 'My USDT deposit has not been credited after 50 confirmations.');
    const stuckChinese = categorize('提币', '提币一直处理中，还没到账。');
    const fee = categorize('Withdrawal fee', 'What is the withdrawal fee for BTC?');

    // Assess
    expect(stuck).toMatchObject({ category: 'deposit-withdrawal', priority: 'high' });
    expect(stuckChinese).toMatchObject({ category: 'deposit-withdrawal', priority: 'high' });
    expect(fee).toMatchObject({ category: 'fees', priority: 'low' });
  });

  it.each<[string, string, string, string]>([
    ['a deposit not received', 'Deposit', 'I did not receive my deposit yet.', 'deposit-withdrawal'],
    ['a Chinese withdrawal not received', '提现', '我还没有收到提现。', 'deposit-withdrawal'],
    ['a passport handed to verification', 'KYC', 'I gave my passport photo and it was rejected.', 'kyc'],
    ['a missing verification code', '登录', '我没有收到验证码，无法登录。', 'account-access'],
  ])('does not mistake %s for a security incident', (_name, subject, text, category) => {
    // Act
    const result = categorize(subject, text);

    // Assess
    expect(result.category).toBe(category);
    expect(result.priority).not.toBe('urgent');
  });

  it('answers other, low, when nothing matches', () => {
    // Act
    const result = categorize('', 'Hello there');

    // Assess
    expect(result).toMatchObject({ category: 'other', priority: 'low' });
  });
});

describe('categorize on hostile input', () => {
  it('reads the subject up to CATEGORIZE_SCAN_SUBJECT_CHARS and the text up to CATEGORIZE_SCAN_CHARS', () => {
    // Prepare
    const lateSubject = `${'x'.repeat(CATEGORIZE_SCAN_SUBJECT_CHARS)} phishing`;
    const lateText = `${'x'.repeat(CATEGORIZE_SCAN_CHARS)} SIM swap`;

    // Act
    const results = [categorize(lateSubject, ''), categorize('', lateText)];

    // Assess
    expect(results.map((result) => result.category)).toEqual(['other', 'other']);
    expect(categorize(lateSubject.slice(-20), '').category).toBe('security');
    expect(categorize('', lateText.slice(-20)).category).toBe('security');
  });

  it('answers long runs of near-matches without pathological backtracking', () => {
    // Prepare
    const near = 'someone '.repeat(2_000) + 'withdrawal '.repeat(1_000) + '一直'.repeat(3_000);

    // Act
    const result = categorize(near.slice(0, CATEGORIZE_SCAN_SUBJECT_CHARS), near);

    // Assess
    expect(CATEGORIES).toContain(result.category);
  });
});
