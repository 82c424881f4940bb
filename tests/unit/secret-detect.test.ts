import { randomBytes } from 'node:crypto';
import { entropyToMnemonic, validateMnemonic } from '@scure/bip39';
import { wordlist as englishWords } from '@scure/bip39/wordlists/english.js';
import { wordlist as simplifiedChineseWords } from '@scure/bip39/wordlists/simplified-chinese.js';
import { wordlist as traditionalChineseWords } from '@scure/bip39/wordlists/traditional-chinese.js';
import { describe, expect, it } from 'vitest';
import { encodeBase58Check } from '../../functions/secrets/base58';
import { hasValidChecksum, isWifPrivateKey, MAX_SCANNED_CHARS, redactSecrets } from '../../functions/secrets/detect';

/** Fixed entropy, so a failure names the same phrase every run. */
const entropy = (length: number, fill: number) => Uint8Array.from({ length }, (_, index) => (fill * 31 + index * 7) & 0xff);
const english12 = entropyToMnemonic(entropy(16, 1), englishWords).split(' ');
const english24 = entropyToMnemonic(entropy(32, 2), englishWords).split(' ');
const simplified12 = entropyToMnemonic(entropy(16, 3), simplifiedChineseWords).split(' ');
const simplified18 = entropyToMnemonic(entropy(24, 4), simplifiedChineseWords).split(' ');
const traditional15 = entropyToMnemonic(entropy(20, 5), traditionalChineseWords).split(' ');
const traditional21 = entropyToMnemonic(entropy(28, 6), traditionalChineseWords).split(' ');

const PHRASE = '[redacted: recovery phrase]';
const KEY = '[redacted: private key]';
const PASSWORD = '[redacted: password]';
const CODE = '[redacted: one-time code]';

const HEX_KEY = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';

function wif(compressed: boolean): string {
  const payload = [0x80, ...randomBytes(32)];
  return encodeBase58Check(Uint8Array.from(compressed ? [...payload, 0x01] : payload));
}

/** No word of `words` left in `text` as a whole word (English) or character (Chinese), markers aside. */
function leftOver(text: string, words: readonly string[]): string[] {
  const plain = text.replaceAll(PHRASE, ' ');
  const units = /[a-z]/.test(words[0] ?? '') ? (plain.toLowerCase().match(/[a-z]+/g) ?? []) : [...plain];
  return words.filter((word) => units.includes(word));
}

describe('recovery phrases', () => {
  it('replaces an English phrase with the exact marker and records the kind', () => {
    // Act
    const result = redactSecrets(`My phrase:\n${english12.join(' ')}\nThanks`);

    // Assess
    expect(result).toEqual({ text: `My phrase:\n${PHRASE}\nThanks`, found: ['recovery-phrase'], scannedChars: expect.any(Number), truncatedScan: false });
  });

  const styles: Record<string, (words: string[]) => string> = {
    spaces: (words) => words.join(' '),
    newlines: (words) => words.join('\n'),
    'blank lines': (words) => words.join('\n\n'),
    commas: (words) => words.join(', '),
    'Chinese commas': (words) => words.join('，'),
    'enumeration commas': (words) => words.join('、'),
    'numbered 1.': (words) => words.map((word, index) => `${index + 1}. ${word}`).join(' '),
    'numbered 1) one per line': (words) => words.map((word, index) => `${index + 1}) ${word}`).join('\n'),
    hyphens: (words) => words.join('-'),
    tabs: (words) => words.join('\t'),
    'markdown table': (words) =>
      ['| # | word |', '|---|------|', ...words.map((word, index) => `| ${index + 1} | ${word} |`)].join('\n'),
    'ASCII table': (words) => ['+----+---------+', ...words.map((word, index) => `| ${index + 1} | ${word} |`), '+----+---------+'].join('\n'),
  };
  const phrases = { 'English 24': english24, 'simplified Chinese 12': simplified12, 'traditional Chinese 15': traditional15 };
  for (const [style, format] of Object.entries(styles)) {
    for (const [name, words] of Object.entries(phrases)) {
      it(`finds ${name} written with ${style}`, () => {
        // Act
        const result = redactSecrets(`Please check my wallet.\n${format(words)}\nRegards.`);

        // Assess
        expect(result.found).toEqual(['recovery-phrase']);
        expect(leftOver(result.text, words)).toEqual([]);
        expect(result.text).toContain(PHRASE);
      });
    }
  }

  it('finds capitalised and upper-case English words, and 15, 18, 21 and longer runs', () => {
    const capitalised = english12.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ');
    expect(redactSecrets(capitalised).text).toBe(PHRASE);
    expect(redactSecrets(english12.join(' ').toUpperCase()).text).toBe(PHRASE);
    expect(redactSecrets(simplified18.join(' ')).text).toBe(PHRASE);
    expect(redactSecrets(traditional21.join(' ')).text).toBe(PHRASE);
    expect(redactSecrets([...english24, ...english12].join(' ')).text).toBe(PHRASE);
  });

  it('finds words capitalised with a comma after each, split by " - " or "|", and in two numbered columns', () => {
    const capitalised = english12.map((word) => word.charAt(0).toUpperCase() + word.slice(1));
    expect(redactSecrets(`${capitalised.join(', ')}.`).text).toBe(`${PHRASE}.`);
    expect(redactSecrets(capitalised.map((word) => `${word},`).join(' ')).text).toBe(`${PHRASE},`);
    expect(redactSecrets(english12.join(' - ')).text).toBe(PHRASE);
    expect(redactSecrets(english12.join(' | ')).text).toBe(PHRASE);
    expect(redactSecrets(english12.join('|')).text).toBe(PHRASE);
    const columns = english12.slice(0, 6).map((word, index) => `${index + 1}. ${word}   ${index + 7}. ${english12[index + 6]}`).join('\n');
    expect(redactSecrets(columns).text).toBe(`1. ${PHRASE}`);
    const tabbed = english24.slice(0, 12).map((word, index) => `${index + 1}) ${word}\t${index + 13}) ${english24[index + 12]}`).join('\n');
    expect(redactSecrets(tabbed).text).toBe(`1) ${PHRASE}`);
  });

  it('finds a phrase with one word misspelt: a letter dropped, added, changed or two swapped', () => {
    const misspell = (word: string, how: number) =>
      [word.slice(0, 2) + word.slice(3), `${word}s`, `${word.slice(0, 2)}${word.charAt(2) === 'q' ? 'x' : 'q'}${word.slice(3)}`, word.charAt(1) + word.charAt(0) + word.slice(2)][how] ?? word;
    const long = english12.findIndex((word, index) => index > 2 && index < 9 && word.length >= 5);
    expect(long).toBeGreaterThan(0);
    for (let how = 0; how < 4; how += 1) {
      const words = english12.map((word, index) => (index === long ? misspell(word, how) : word));
      const result = redactSecrets(`my seed: ${words.join(' ')} thanks`);
      expect(result.text, words.join(' ')).toBe(`my seed: ${PHRASE} thanks`);
    }
    // One misspelt word in each half of a 24-word phrase: each half bridges its own.
    const twice = english24.map((word, index) => (index === 5 || index === 17 ? `${word}x` : word));
    expect(redactSecrets(twice.join(' ')).text).toBe(PHRASE);
  });

  it('bridges no more than one misspelt word, never a short one, and never to reach 12 with 10 list words', () => {
    const words = english12.map((word, index) => (index === 5 ? `${word}x` : word));
    for (const text of [
      // Two unknown words side by side.
      [...words.slice(0, 5), 'zzzz', ...words.slice(5)].join(' '),
      // A short prose word (`and`, one letter from `add`) is not a misspelling.
      [...english12.slice(0, 6), 'and', ...english12.slice(7)].join(' '),
      // Ten list words and a misspelling.
      words.slice(1).join(' '),
      // The misspelling at the end is not between list words.
      `${english12.slice(0, 11).join(' ')} ${english12[11]}x`,
    ]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('finds a phrase whose checksum is wrong', () => {
    // Prepare
    const words = [...english12.slice(0, 11), english12[11] === 'zoo' ? 'abandon' : 'zoo'];
    expect(validateMnemonic(words.join(' '), englishWords)).toBe(false);

    // Act and assess
    expect(redactSecrets(`Mnemonic: ${words.join(' ')}`).text).toBe(`Mnemonic: ${PHRASE}`);
  });

  it('leaves 11 list words alone', () => {
    const text = `my words ${english12.slice(0, 11).join(' ')} and more`;
    expect(redactSecrets(text)).toMatchObject({ text, found: [] });
    const chinese = simplified12.slice(0, 11).join(' ');
    expect(redactSecrets(chinese)).toMatchObject({ text: chinese, found: [] });
  });

  it('does not count words of two lists as one run', () => {
    const mixed = [...simplified12.slice(0, 6), ...english12.slice(0, 6)].join(' ');
    expect(redactSecrets(mixed).found).toEqual([]);
  });

  it('gives back prose words next to a valid phrase, but redacts a run with a typo whole', () => {
    expect(redactSecrets(`Seed phrase ${english12.join(' ')} please help`).text).toBe(`Seed phrase ${PHRASE} please help`);
    const typo = [...english12.slice(0, 11), english12[11] === 'zoo' ? 'abandon' : 'zoo'];
    expect(redactSecrets(`Seed phrase ${typo.join(' ')} please help`).text).toBe(PHRASE);
  });

  it('leaves English prose alone, list words and all', () => {
    // Prepare: support mail dense with BIP39 words (about, account, access, please, help, never, …).
    const prose = [
      'Hello, I am writing about my account. I cannot access it since last week, and I have tried to reset the',
      'password twice. Please help me, this is urgent: my salary arrived and I need to pay rent. Could you also',
      'check whether any order was placed from a new device? I would never share my details with anyone.',
      'We will never ask for your seed phrase, private key or password. If someone asks, it is not us.',
      'Good morning team, please help: can you check this order again? Thank you, best wishes.',
    ].join('\n');

    // Act and assess
    expect(redactSecrets(prose)).toMatchObject({ text: prose, found: [] });
  });

  it('leaves the warning "we will never ask for your seed phrase" alone, in both languages', () => {
    for (const warning of [
      'we will never ask for your seed phrase',
      'Support will never ask for your recovery phrase, private key, password or 2FA code.',
      '我们绝不会索要您的助记词、私钥、密码或谷歌验证码。',
      '請注意：客服永遠不會向您索取助記詞或私鑰。',
    ]) {
      expect(redactSecrets(warning)).toMatchObject({ text: warning, found: [] });
    }
  });

  it('finds a Chinese phrase written without spaces after a cue, or on a line of its own with a valid checksum', () => {
    const glued = simplified12.join('');
    expect(redactSecrets(`我的助记词是${glued}，请帮忙`).found).toEqual(['recovery-phrase']);
    expect(leftOver(redactSecrets(`我的助记词是${glued}，请帮忙`).text, simplified12)).toEqual([]);
    expect(redactSecrets(`助記詞：${traditional15.join('')}`).text).toBe(`助記詞：${PHRASE}`);
    expect(redactSecrets(`seed phrase: ${glued}`).text).toBe(`seed phrase: ${PHRASE}`);
    expect(redactSecrets(`请帮我看看\n${glued}\n谢谢`).text).toBe(`请帮我看看\n${PHRASE}\n谢谢`);
  });

  it('finds a spaced Chinese phrase glued to the prose at either end', () => {
    const text = `我的助记词是${simplified12.join(' ')}请帮我`;
    expect(leftOver(redactSecrets(text).text, simplified12)).toEqual([]);
  });

  it('leaves Chinese prose alone, though its characters are list words', () => {
    // Prepare: long runs of common characters, every one of them in the simplified list.
    const prose = [
      '您好，我昨天在你们平台充值了一笔钱，但是到现在还没有到账，请问是什么原因？我已经等了很长时间了。',
      '我们会在二十四小时内回复您的问题，如果有其他需要可以随时联系我们，感谢您的耐心等待和支持。',
      '我的助记词在哪里可以找到？我不记得了。',
    ].join('\n');

    // Act and assess
    expect(redactSecrets(prose)).toMatchObject({ text: prose, found: [] });
  });
});

describe('private keys', () => {
  it('redacts 64 hex characters the text calls a key, with or without 0x, in both languages', () => {
    expect(redactSecrets(`my private key: ${HEX_KEY}`).text).toBe(`my private key: ${KEY}`);
    expect(redactSecrets(`Key 0x${HEX_KEY} please`).text).toBe(`Key ${KEY} please`);
    expect(redactSecrets(`私钥是 ${HEX_KEY}`).text).toBe(`私钥是 ${KEY}`);
    expect(redactSecrets(`${HEX_KEY} is the private key of my deposit wallet`).found).toEqual(['private-key']);
  });

  it('leaves a transaction hash alone: named a hash, in an explorer link, or in mail about a transfer', () => {
    for (const text of [
      `txid: ${HEX_KEY}`,
      `TXID ${HEX_KEY}`,
      `交易哈希：0x${HEX_KEY}`,
      `https://etherscan.io/tx/0x${HEX_KEY}`,
      `My deposit has not arrived after 3 hours.\n0x${HEX_KEY}`,
      `提现一直没到账 ${HEX_KEY}`,
      `Here is the private key? No, the tx hash: ${HEX_KEY}`,
    ]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('redacts bare 64 hex characters when nothing in the message offers another reading', () => {
    expect(redactSecrets(`help, my wallet is empty\n${HEX_KEY}`).text).toBe(`help, my wallet is empty\n${KEY}`);
  });

  it('redacts 64 hex characters split across lines or into groups, when the text calls them a key', () => {
    const groups = (size: number) => HEX_KEY.match(new RegExp(`.{${size}}`, 'g'))?.join(' ') ?? '';
    expect(redactSecrets(`private key: ${HEX_KEY.slice(0, 32)}\n${HEX_KEY.slice(32)}\nthanks`).text).toBe(`private key: ${KEY}\nthanks`);
    expect(redactSecrets(`Private key:\r\n${HEX_KEY.slice(0, 32)}\r\n${HEX_KEY.slice(32)}`).text).toBe(`Private key:\r\n${KEY}`);
    expect(redactSecrets(`priv key ${groups(4)}`).text).toBe(`priv key ${KEY}`);
    expect(redactSecrets(`my secret key is 0x${groups(8)}.`).text).toBe(`my secret key is ${KEY}.`);
    expect(redactSecrets(`私钥：\n${HEX_KEY.match(/.{16}/g)?.join('\n')}`).text).toBe(`私钥：\n${KEY}`);
  });

  it('leaves split hex alone when it is not called a key, or does not add up to 64', () => {
    for (const text of [
      `tx hash: ${HEX_KEY.slice(0, 32)}\n${HEX_KEY.slice(32)}`,
      `${HEX_KEY.slice(0, 32)}\n${HEX_KEY.slice(32)}`,
      `private key: ${HEX_KEY.slice(0, 32)} and more`,
      `private key: ${HEX_KEY.slice(0, 30)} ${HEX_KEY.slice(30)}ab`,
      'private key: dead beef cafe babe face fade bead deaf abba dada acca bade cede feed aced ebbe',
    ]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('leaves hex of other lengths alone', () => {
    const text = `address 0x${HEX_KEY.slice(0, 40)} and ${HEX_KEY}ab`;
    expect(redactSecrets(text).found).toEqual([]);
  });

  it('redacts WIF keys with a valid checksum, compressed and not', () => {
    for (const key of [wif(true), wif(false)]) {
      expect(isWifPrivateKey(key)).toBe(true);
      expect(redactSecrets(`wif ${key}.`).text).toBe(`wif ${KEY}.`);
    }
  });

  it('leaves a WIF-shaped string with a bad checksum alone', () => {
    // Prepare
    const key = wif(true);
    const last = key.charAt(key.length - 1);
    const broken = key.slice(0, -1) + (last === 'a' ? 'b' : 'a');
    expect(isWifPrivateKey(broken)).toBe(false);

    // Act and assess
    expect(redactSecrets(`wif ${broken}`).found).toEqual([]);
  });

  it('redacts extended private keys', () => {
    const version = { xprv: [0x04, 0x88, 0xad, 0xe4], tprv: [0x04, 0x35, 0x83, 0x94], zprv: [0x04, 0xb2, 0x43, 0x0c] };
    for (const [prefix, bytes] of Object.entries(version)) {
      // BIP32's 78 bytes: version, depth, parent fingerprint, child number, chain code, 0x00 and the key.
      const padded = Uint8Array.from([...bytes, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...randomBytes(32), 0, ...randomBytes(32)]);
      const extended = encodeBase58Check(padded);
      expect(extended.startsWith(prefix), `${prefix}: ${extended}`).toBe(true);
      expect(redactSecrets(`backup: ${extended}`).text).toBe(`backup: ${KEY}`);
    }
  });

  it('redacts a keystore JSON object, Crypto or crypto', () => {
    // Prepare
    const keystore = JSON.stringify(
      {
        address: '008aeeda4d805471df9b2a5b0f38a0c3bcba786b',
        crypto: {
          cipher: 'aes-128-ctr',
          cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
          ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
          kdf: 'scrypt',
          kdfparams: { dklen: 32, n: 262144, r: 1, p: 8, salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19' },
          mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
        },
        id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
        version: 3,
      },
      null,
      2,
    );
    const v1 = keystore.replace('"crypto"', '"Crypto"');

    // Act and assess
    expect(redactSecrets(`Here is my wallet file:\n${keystore}\nthanks`).text).toBe(`Here is my wallet file:\n${KEY}\nthanks`);
    expect(redactSecrets(v1).text).toBe(KEY);
    expect(redactSecrets('{"crypto": {"cipher": "aes-128-ctr"}}').found).toEqual([]);
  });
});

describe('passwords and one-time codes', () => {
  it('redacts the value after a password label, in English and Chinese', () => {
    expect(redactSecrets('password: Hunter2024').text).toBe(`password: ${PASSWORD}`);
    expect(redactSecrets('password: Hunter2024!').text).toBe(`password: ${PASSWORD}`);
    expect(redactSecrets('My password is sunshine99.').text).toBe(`My password is ${PASSWORD}.`);
    expect(redactSecrets('Password = "qwerty#1"').text).toBe(`Password = "${PASSWORD}"`);
    expect(redactSecrets('密码：abc123456').text).toBe(`密码：${PASSWORD}`);
    expect(redactSecrets('我的登录密码是Abc12345，请帮我看看').text).toBe(`我的登录密码是${PASSWORD}，请帮我看看`);
    expect(redactSecrets('资金密码 887766').text).toBe(`资金密码 ${PASSWORD}`);
    expect(redactSecrets('密碼為 Xy9!pass').found).toEqual(['password']);
  });

  it('leaves prose about a password alone', () => {
    for (const text of [
      'my password is wrong',
      'My password is not working since yesterday.',
      'I forgot my password. Can you reset it?',
      'Password: ********',
      '密码错误',
      '密码是多少？',
      '我忘记密码了，密码是什么？',
      'Please change your password regularly.',
      'I tried to reset my password here: https://exchange.example/reset and it failed.',
      '重置密码：https://exchange.example/reset',
      'password reset link: www.exchange.example/reset',
    ]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('redacts the value after short labels joined by a colon or an equals sign', () => {
    expect(redactSecrets('pw: hunter2x').text).toBe(`pw: ${PASSWORD}`);
    expect(redactSecrets('pwd: hunter2x').text).toBe(`pwd: ${PASSWORD}`);
    expect(redactSecrets('pass: hunter2x').text).toBe(`pass: ${PASSWORD}`);
    expect(redactSecrets('passwd=hunter2x').text).toBe(`passwd=${PASSWORD}`);
    expect(redactSecrets('user: bob pass: hunter2x').text).toBe(`user: bob pass: ${PASSWORD}`);
  });

  it('leaves the short labels alone as ordinary words', () => {
    for (const text of [
      'my boarding pass is attached',
      'Pass: the exam was fine',
      'the pass is 2 days old',
      'pw is weird',
      'it lexes rather than parses in a second pass: JS source is read once',
      '{"StartAt":"Pass","States":{"Pass":{"Type":"Pass","End":true}}}',
    ]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('redacts the password of a user name and password given as a pair, never the user name', () => {
    expect(redactSecrets('login: bob / hunter2x').text).toBe(`login: bob / ${PASSWORD}`);
    expect(redactSecrets('username/password: bob / hunter2x').text).toBe(`username/password: bob / ${PASSWORD}`);
    expect(redactSecrets('login/pwd: bob@mail.example/hunter2x').text).toBe(`login/pwd: bob@mail.example/${PASSWORD}`);
    expect(redactSecrets('账号/密码：bob/abc123').text).toBe(`账号/密码：bob/${PASSWORD}`);
  });

  it('leaves a name and a path alone where no pair of credentials is given', () => {
    for (const text of [
      'https://user:password@example.co.uk:8080/path',
      "'arn:aws:iam::ACCOUNT:role/MyRole'",
      "var username = 'foobar' // read the username from the request",
      'Last login: 2024/05/01 from Chrome',
      'Login: email / phone',
      'login: Email/Google and it still fails',
    ]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('redacts the value after the Chinese names of an exchange account\'s passwords', () => {
    expect(redactSecrets('登录密码 abc12345').text).toBe(`登录密码 ${PASSWORD}`);
    expect(redactSecrets('交易密码：abc12345').text).toBe(`交易密码：${PASSWORD}`);
    expect(redactSecrets('支付密码 123456').text).toBe(`支付密码 ${PASSWORD}`);
    expect(redactSecrets('资金密码：Qw12345!').text).toBe(`资金密码：${PASSWORD}`);
  });

  it('redacts a PIN given away, as a password, but not a dial-in PIN or the word in prose', () => {
    expect(redactSecrets('PIN: 1234').text).toBe(`PIN: ${PASSWORD}`);
    expect(redactSecrets('my PIN is 4821').text).toBe(`my PIN is ${PASSWORD}`);
    expect(redactSecrets('PIN码：1234').text).toBe(`PIN码：${PASSWORD}`);
    expect(redactSecrets('PIN码 902817').text).toBe(`PIN码 ${PASSWORD}`);
    expect(redactSecrets('I lost my phone, please call me. PIN: 2580').text).toBe(`I lost my phone, please call me. PIN: ${PASSWORD}`);
    for (const text of [
      'Please reset your PIN',
      'How do I reset my PIN: it says locked',
      'Or dial: (EE) +372 685 2028 PIN: 498100683#',
      'Conference PIN: 4455',
      'PIN: abcdef',
      'Meeting ID 123 PIN: 4455',
    ]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('redacts a password given alone on the line after its label', () => {
    expect(redactSecrets('My password:\nhunter2x\nthanks').text).toBe(`My password:\n${PASSWORD}\nthanks`);
    expect(redactSecrets('password:\r\n\r\n  Hunter2!  \r\nthanks').text).toBe(`password:\r\n\r\n  ${PASSWORD}  \r\nthanks`);
    expect(redactSecrets('密码：\nabc123\n').text).toBe(`密码：\n${PASSWORD}\n`);
    for (const text of ['My password:\nI forgot it yesterday', 'Password:\nUsername:\n', 'Password:\n********\n', "user's password:\n```\n"]) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });

  it('redacts one-time codes after their label, in English and Chinese', () => {
    expect(redactSecrets('2FA code 123456').text).toBe(`2FA code ${CODE}`);
    expect(redactSecrets('my google authenticator code is 654321').text).toBe(`my google authenticator code is ${CODE}`);
    expect(redactSecrets('OTP: 908 112').text).toBe(`OTP: ${CODE}`);
    expect(redactSecrets('SMS code: 4455').text).toBe(`SMS code: ${CODE}`);
    expect(redactSecrets('one-time password 77889900').found).toEqual(['one-time-code']);
    expect(redactSecrets('验证码 123456').text).toBe(`验证码 ${CODE}`);
    expect(redactSecrets('谷歌验证码是：246810').text).toBe(`谷歌验证码是：${CODE}`);
    expect(redactSecrets('驗證碼:135790').text).toBe(`驗證碼:${CODE}`);
  });

  it('leaves a label without digits, and digits without a label, alone', () => {
    for (const text of ['I did not get the 2FA code', '验证码收不到', 'order 123456 is late', 'error code 500123']) {
      expect(redactSecrets(text), text).toMatchObject({ text, found: [] });
    }
  });
});

describe('full-width letters and digits (a Chinese input method in full-width mode)', () => {
  it.each([
    ['验证码：１２３４５６', '验证码：[redacted: one-time code]'],
    ['my 2FA code is ６５４３２１', 'my 2FA code is [redacted: one-time code]'],
    ['密码：Ａｂｃ１２３４５', '密码：[redacted: password]'],
    [`私钥：${'ａｂ'.repeat(32)}`, '私钥：[redacted: private key]'],
    [`助记词：${entropyToMnemonic(new Uint8Array(16).fill(7), englishWords).replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))}`, '助记词：[redacted: recovery phrase]'],
  ])('reads %s as ASCII and keeps the rest as written', (text, expected) => {
    expect(redactSecrets(text).text).toBe(expected);
  });

  it('leaves full-width digits without a label alone, full-width punctuation and all', () => {
    expect(redactSecrets('订单号：１２３４５６，请查收（谢谢）').found).toEqual([]);
  });
});

describe('several secrets and limits', () => {
  it('redacts every secret of a message and lists each kind once, in a fixed order', () => {
    // Act
    const result = redactSecrets(`验证码 123456\npassword: abc123\n${english12.join(' ')}\nprivate key ${HEX_KEY}\n密码：zzz999`);

    // Assess
    expect(result.found).toEqual(['recovery-phrase', 'private-key', 'password', 'one-time-code']);
    expect(result.text).toBe(`验证码 ${CODE}\npassword: ${PASSWORD}\n${PHRASE}\nprivate key ${KEY}\n密码：${PASSWORD}`);
  });

  it('scans the first MAX_SCANNED_CHARS of a 1 MB input and says the rest was not scanned', () => {
    // Prepare: every detector's trigger, repeated: labels without values, hex runs too long, unclosed keystores.
    const unit = 'password: 2FA code 验证码 "crypto": { "ciphertext" "kdf" 0x' + 'f'.repeat(70) + ' xprv' + 'z'.repeat(30) + ' 的一是在不了有和人这中大为上个国 ';
    const hostile = unit.repeat(Math.ceil(1_000_000 / unit.length)).slice(0, 1_000_000);

    // Act
    const result = redactSecrets(hostile);

    // Assess
    expect(result.truncatedScan).toBe(true);
    expect(result.scannedChars).toBe(MAX_SCANNED_CHARS);
    expect(result.text.length).toBeLessThanOrEqual(MAX_SCANNED_CHARS);
    expect(result.found).toContain('private-key');
  });

  it('redacts a phrase repeated over 1 MB down to one marker within the scanned part', () => {
    const hostile = `${english24.join(' ')} `.repeat(Math.ceil(1_000_000 / (english24.join(' ').length + 1)));
    const result = redactSecrets(hostile);
    expect(result.text.trim()).toBe(PHRASE);
    expect(result.truncatedScan).toBe(true);
  });

  it('handles a 100 KB single line of list words, hex and Han characters', () => {
    const line = Array.from({ length: 20_000 }, (_, index) => (index % 13 === 0 ? 'the' : englishWords[index % 2048])).join(' ').slice(0, 100_000);
    const result = redactSecrets(line);
    expect(result.truncatedScan).toBe(false);
    expect(result.scannedChars).toBe(line.length);
    expect(result.text).not.toContain('\n');
    // Each run of 12 list words between two `the`s is a phrase.
    const between = result.text.split(' the ').slice(1, -1);
    expect(between.length).toBeGreaterThan(1_000);
    expect(between.every((part) => part === PHRASE)).toBe(true);
    const han = '的'.repeat(100_000);
    expect(redactSecrets(han)).toMatchObject({ text: han, found: [] });
  });

  it('never cuts a surrogate pair at the scan limit', () => {
    const text = 'a'.repeat(MAX_SCANNED_CHARS - 1) + '😀' + 'tail';
    const result = redactSecrets(text);
    expect(result.scannedChars).toBe(MAX_SCANNED_CHARS - 1);
    expect(result.text).toBe('a'.repeat(MAX_SCANNED_CHARS - 1));
  });
});

describe('the BIP39 checksum', () => {
  it('agrees with @scure/bip39 on valid phrases of every length and on each with one word changed', () => {
    // Prepare: fixed entropy, every length, all three lists
    const lists = [englishWords, simplifiedChineseWords, traditionalChineseWords];
    const cases: Array<{ words: string[]; list: readonly string[] }> = [];
    for (const [listIndex, list] of lists.entries()) {
      for (const bytes of [16, 20, 24, 28, 32]) {
        for (let seed = 0; seed < 20; seed += 1) {
          const words = entropyToMnemonic(entropy(bytes, seed * 7 + listIndex), list).split(' ');
          cases.push({ words, list });
          const changed = [...words];
          changed[seed % words.length] = list[(list.indexOf(words[seed % words.length]!) + 1 + seed) % 2048]!;
          cases.push({ words: changed, list });
        }
      }
    }

    // Act / Assess
    const disagreements = cases.filter(({ words, list }) => hasValidChecksum(words, list) !== validateMnemonic(words.join(' '), [...list]));
    expect(disagreements).toEqual([]);
    expect(cases.filter(({ words, list }) => hasValidChecksum(words, list)).length).toBeGreaterThanOrEqual(300);
  });
});
