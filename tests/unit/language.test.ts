import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLanguage, MAX_LANGUAGE_SUBJECT_CHARS, MAX_LANGUAGE_TEXT_CHARS } from '../../functions/mail/language';
import type { Language } from '../../functions/mail/types';
import { listCorpusFiles, parseCorpusFile } from '../helpers/corpus';

describe('detectLanguage over the corpus', () => {
  it('finds Chinese in every Chinese letter and in no other letter', async () => {
    // Prepare
    const messages = await Promise.all(listCorpusFiles('charsets/letters').map(parseCorpusFile));

    // Act
    const detected = messages.map((message) => ({
      name: basename(message.name),
      language: detectLanguage(message.text, message.subject),
    }));

    // Assess: file names say the language (test_chinese_…, test_japanese_…, test_korean_…, test_thai_…).
    // The multipart_signed letters label no charset on their text part; mailparser decodes the 8-bit ones
    // (GBK, GB18030, EUC-JP, ISO-8859-x…) as mojibake with U+FFFD, so for the four Chinese ones the Chinese
    // subject decides.
    const undecodable = messages.filter((message) => message.text.includes('\uFFFD')).map((message) => basename(message.name));
    expect(undecodable.every((name) => name.includes('_multipart_signed_'))).toBe(true);
    expect(undecodable.filter((name) => name.includes('chinese')).length).toBe(4);
    const chinese = detected.filter(({ name }) => name.includes('chinese'));
    const others = detected.filter(({ name }) => !name.includes('chinese'));
    expect(chinese.length).toBe(16);
    expect(others.some(({ name }) => name.includes('japanese'))).toBe(true);
    expect(chinese.filter(({ language }) => language !== 'zh')).toEqual([]);
    expect(others.filter(({ language }) => language !== 'en')).toEqual([]);
  });

  it('finds English in every talon reply', async () => {
    // Prepare
    const files = listCorpusFiles('replies/talon/standard_replies').filter((path) => path.endsWith('.eml'));
    const messages = await Promise.all(files.map(parseCorpusFile));

    // Act
    const detected = messages.map((message) => detectLanguage(message.text, message.subject));

    // Assess
    expect(detected.length).toBeGreaterThanOrEqual(12);
    expect(detected.every((language) => language === 'en')).toBe(true);
  });

  it('decides on the Chinese body alone, without a subject', async () => {
    // Prepare
    const [message] = await Promise.all(
      listCorpusFiles('charsets/letters')
        .filter((path) => basename(path) === 'test_chinese_plaintext_gbk_over_base64.txt')
        .map(parseCorpusFile),
    );

    // Act
    const language = detectLanguage(message?.text ?? '');

    // Assess
    expect(message?.text).toContain('石室诗士施氏');
    expect(language).toBe('zh');
  });
});

describe('detectLanguage rules', () => {
  it.each<[string, string, string, Language]>([
    ['plain Chinese', '您好，我的账户被冻结了，请帮我处理。', '', 'zh'],
    ['Chinese with crypto terms and a UID', '请问 withdrawal 为什么 pending 了三天？UID: 12345678', '', 'zh'],
    ['Chinese around a pasted English error', '提现失败，错误信息：Withdrawal failed due to insufficient balance', '', 'zh'],
    ['Chinese with a transaction hash and a link', '我的 USDT 还没到账，交易哈希 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060，详情 https://tronscan.org/#/transaction/abc', '', 'zh'],
    ['Traditional Chinese', '您好，我的帳戶無法登入，請協助處理。', '', 'zh'],
    ['empty body, Chinese subject', '', '提现问题', 'zh'],
    ['plain English', 'Hello, my withdrawal has been pending for three days. Can you help?', '', 'en'],
    ['English signed with a Chinese name', 'Hi team, I cannot withdraw my funds since yesterday. The page keeps loading. Please advise. Best regards, 王小明', '', 'en'],
    ['English naming one Chinese term', "I can't find the 提现 button on the app anymore", '', 'en'],
    ['Japanese, kana-heavy', 'お世話になっております。出金がまだ反映されていません。確認をお願いします。', '', 'en'],
    ['Japanese, Han-heavy but with kana', '口座凍結の件について問い合わせます', '', 'en'],
    ['Korean', '출금이 아직 처리되지 않았습니다. 확인 부탁드립니다.', '', 'en'],
    ['mojibake body under a Chinese subject', 'ʯ��ʫʿʩ�ϣ���ʨ����ʳʮʨ��\n��ʱʱ������ʨ��', '📧 Signed Test 施氏食狮史', 'zh'],
    ['mojibake alone', 'ʯ��ʫʿʩ�ϣ���ʨ����ʳʮʨ��', '', 'en'],
    ['nothing at all', '', '', 'en'],
    ['only numbers and addresses', '12345 alice@example.com https://example.com/a', '', 'en'],
    ['an address glued to Chinese words is dropped with them', '请联系alice@example.com谢谢 thanks', '', 'en'],
    ['a link glued after Chinese words keeps the words', '请看这个链接https://example.com/a thanks', '', 'zh'],
    ['a lone @ is not an address', '@ @@ 您好 hello', '', 'zh'],
  ])('%s', (_name, text, subject, expected) => {
    // Prepare: nothing beyond the parameters.

    // Act
    const language = detectLanguage(text, subject);

    // Assess
    expect(language).toBe(expected);
  });
});

describe('detectLanguage on hostile input', () => {
  it('reads a 200 KB subject with no spaces only up to MAX_LANGUAGE_SUBJECT_CHARS', () => {
    // Prepare: `\S+@\S+` over this subject backtracked for about 20 s.
    const subject = `${'提'.repeat(10)}${'a'.repeat(200_000)}`;

    // Act
    const language = detectLanguage('', subject);

    // Assess
    expect(language).toBe(detectLanguage('', subject.slice(0, MAX_LANGUAGE_SUBJECT_CHARS)));
    expect(language).toBe('zh');
  });

  it('reads megabytes of text with no newline only up to MAX_LANGUAGE_TEXT_CHARS', () => {
    // Prepare: English first, then more Chinese than English past the cap.
    const text = `Hello, my withdrawal is pending. ${'x'.repeat(MAX_LANGUAGE_TEXT_CHARS)}${'提现'.repeat(1_000_000)}`;

    // Act
    const language = detectLanguage(text);

    // Assess
    expect(language).toBe(detectLanguage(text.slice(0, MAX_LANGUAGE_TEXT_CHARS)));
    expect(language).toBe('en');
  });

  it.each<[string, string]>([
    ['one long run of letters', 'a'.repeat(3_000_000)],
    ['long runs of whitespace', ` \t${' '.repeat(1_000_000)}\n`.repeat(3)],
    ['an @ at both ends of a long run', `@${'a'.repeat(1_000_000)}@`],
    ['a million replacement characters', '\uFFFD'.repeat(1_000_000)],
  ])('returns English for %s', (_name, text) => {
    // Act
    const language = detectLanguage(text, text);

    // Assess
    expect(language).toBe('en');
  });
});
