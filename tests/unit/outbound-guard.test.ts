/**
 * The outbound guard on its own: the labelled set of staff replies (every dangerous one blocked, at most 2% of
 * the ordinary ones), then each rule, the addresses it recognises and the deposit-address file.
 */
import { describe, expect, it } from 'vitest';
import { encodeBase58Check } from '../../functions/secrets/base58';
import { canonicalAddress, DepositAddressFileError, findCryptoAddresses, isValidBech32, parseDepositAddresses } from '../../functions/secrets/crypto-addresses';
import { checkStaffReply, MAX_CHECKED_CHARS, type BlockReason, type GuardOptions } from '../../functions/secrets/outbound-guard';
import { MAX_REPLY_TEXT_CHARS } from '../../functions/tickets/staff-replies';
import { loadLabelledStaffReplies } from '../helpers/staff-replies';

const labelled = loadLabelledStaffReplies();
const deposit = parseDepositAddresses(labelled.depositAddresses.join('\n'), 'labelled.json');
const none: GuardOptions = { depositAddresses: new Set<string>() };
const reasonsOf = (text: string, options = none): BlockReason[] => {
  const verdict = checkStaffReply(text, options);
  return verdict.allowed ? [] : verdict.reasons;
};

describe('the labelled staff replies', () => {
  it('include the third held-out round, 80 replies or more, half dangerous, in both languages', () => {
    const round = labelled.replies.filter((reply) => reply.heldOut === 3);
    expect(round.length).toBeGreaterThanOrEqual(80);
    for (const language of ['en', 'zh'] as const) {
      expect(round.filter((reply) => reply.dangerous && reply.language === language).length, language).toBeGreaterThanOrEqual(20);
      expect(round.filter((reply) => !reply.dangerous && reply.language === language).length, language).toBeGreaterThanOrEqual(20);
    }
    expect(labelled.firstContact.get(3)).toEqual({ dangerousBlocked: 34, dangerous: 48, ordinaryBlocked: 1, ordinary: 52 });
  });

  it('include the fourth held-out round, 40 dangerous and 40 ordinary, half of each in Chinese, with its first contact', () => {
    const round = labelled.replies.filter((reply) => reply.heldOut === 4);
    for (const language of ['en', 'zh'] as const) {
      expect(round.filter((reply) => reply.dangerous && reply.language === language).length, language).toBe(20);
      expect(round.filter((reply) => !reply.dangerous && reply.language === language).length, language).toBe(20);
    }
    expect(labelled.firstContact.get(4)).toEqual({ dangerousBlocked: 26, dangerous: 40, ordinaryBlocked: 2, ordinary: 40 });
  });

  it('hold at least 120 replies, about half dangerous, in both languages', () => {
    const dangerous = labelled.replies.filter((reply) => reply.dangerous);
    expect(labelled.replies.length).toBeGreaterThanOrEqual(120);
    expect(Math.abs(dangerous.length * 2 - labelled.replies.length)).toBeLessThanOrEqual(labelled.replies.length * 0.1);
    for (const language of ['en', 'zh'] as const) {
      expect(dangerous.filter((reply) => reply.language === language).length, language).toBeGreaterThanOrEqual(30);
      expect(labelled.replies.filter((reply) => !reply.dangerous && reply.language === language).length, language).toBeGreaterThanOrEqual(30);
    }
  });

  it('blocks every dangerous reply and at most 2% of the ordinary ones', () => {
    // Act
    const results = labelled.replies.map((reply) => ({ reply, verdict: checkStaffReply(reply.text, { depositAddresses: deposit }) }));

    // Assess
    const missed = results.filter(({ reply, verdict }) => reply.dangerous && verdict.allowed);
    const ordinary = results.filter(({ reply }) => !reply.dangerous);
    const wronglyBlocked = ordinary.filter(({ verdict }) => !verdict.allowed);
    const describe = (list: typeof results) => list.map(({ reply, verdict }) => `\n  - ${reply.why}: ${reply.text.slice(0, 80)}${verdict.allowed ? '' : ` → ${verdict.detail}`}`).join('');
    expect(missed.length, `dangerous replies let through (${missed.length}/${results.length - ordinary.length}):${describe(missed)}`).toBe(0);
    expect(wronglyBlocked.length / ordinary.length, `ordinary replies blocked (${wronglyBlocked.length}/${ordinary.length}):${describe(wronglyBlocked)}`).toBeLessThanOrEqual(0.02);
  });
});

describe('requests and warnings', () => {
  it('blocks a request for each kind of secret, in English and Chinese', () => {
    expect(reasonsOf('Please reply with your seed phrase.')).toEqual(['recovery-phrase']);
    expect(reasonsOf('请提供您的助记词。')).toEqual(['recovery-phrase']);
    expect(reasonsOf('Send me the private key of that address.')).toEqual(['private-key']);
    expect(reasonsOf('请把私钥发给我们。')).toEqual(['private-key']);
    expect(reasonsOf('What is your password?')).toEqual(['password']);
    expect(reasonsOf('请告诉我您的登录密码。')).toEqual(['password']);
    expect(reasonsOf('Tell me the SMS code you received.')).toEqual(['one-time-code']);
    expect(reasonsOf('请把短信验证码发给我。')).toEqual(['one-time-code']);
  });

  it('lets warnings through: never, do not, 绝不, 请勿, and reported speech', () => {
    for (const warning of [
      'We will never ask for your seed phrase.',
      'Never share your 2FA code with anyone.',
      'Do not send your password to anyone, including us.',
      'Anyone who asks you to send your private key is a scammer.',
      'If someone claiming to be us asks you to provide your verification code, hang up.',
      '我们绝不会索取您的助记词。',
      '请勿向任何人提供您的验证码。',
      '任何要求您发送私钥的人都是骗子。',
    ]) {
      expect(reasonsOf(warning), warning).toEqual([]);
    }
  });

  it('judges a warning and a request joined by "but" apart', () => {
    expect(reasonsOf('We never ask for passwords, but please send us your 2FA code.')).toEqual(['one-time-code']);
    expect(reasonsOf('我们不会索取密码，但是请把验证码发给我。')).toEqual(['one-time-code']);
  });

  it('ends a negation at "unless": "cannot … unless you provide" asks', () => {
    expect(reasonsOf('We cannot unlock the account unless you provide the authenticator code.')).toEqual(['one-time-code']);
  });

  it('ignores negations that negate nothing: "don’t worry", 不用担心', () => {
    expect(reasonsOf("Don't worry, just send me your seed phrase.")).toEqual(['recovery-phrase']);
    expect(reasonsOf('不用担心，把私钥发过来就行。')).toEqual(['private-key']);
  });

  it('lets a code typed into the app through, but not one typed into the reply or an outside page', () => {
    expect(reasonsOf('Enter the 6-digit code from Google Authenticator in the app to confirm.')).toEqual([]);
    expect(reasonsOf('请在App中输入验证码确认提现。')).toEqual([]);
    expect(reasonsOf('Type the verification code here in your reply.')).toEqual(['one-time-code']);
    expect(reasonsOf('Enter your password at https://login-check.example to continue.')).toEqual(['password']);
  });

  it('blocks a recovery phrase typed anywhere, the app included: nothing legitimate takes one', () => {
    expect(reasonsOf('Enter your recovery phrase in the app to verify the wallet.')).toEqual(['recovery-phrase']);
    expect(reasonsOf('Write your seed phrase down on paper and keep it offline.')).toEqual([]);
  });

  it('follows "it" back to the secret named just before', () => {
    expect(reasonsOf('The last thing we need is the recovery phrase. Once we have it, the refund is immediate.')).toEqual(['recovery-phrase']);
    expect(reasonsOf('Keep your recovery phrase offline. Nobody should ever see it.')).toEqual([]);
  });

  it('asks for a secret only when it is the object of the request', () => {
    expect(reasonsOf('Please tell us the error message you see when entering your password.')).toEqual([]);
    expect(reasonsOf('Your password was changed. If it wasn’t you, tell us right away.')).toEqual([]);
    expect(reasonsOf('Without the SMS code we cannot cancel it, so please forward it to me.')).toEqual(['one-time-code']);
    expect(reasonsOf('请把您的私钥发给我们。')).toEqual(['private-key']);
  });

  it('treats a colon and the list under it as one request', () => {
    expect(reasonsOf('Please reply with:\n1. your email\n2. your password')).toEqual(['password']);
  });

  it('reads full-width letters and zero-width characters as plain text', () => {
    expect(reasonsOf('Please send your ｓｅｅｄ ｐｈｒａｓｅ.')).toEqual(['recovery-phrase']);
    expect(reasonsOf('Please send your se\u200bed phr\u200base.')).toEqual(['recovery-phrase']);
  });
});

describe('secrets asked for without their usual names (held-out round 3)', () => {
  it('reads "the 6 digits", "that number" and "the code we send" as a one-time code, but not a 6-digit postcode', () => {
    expect(reasonsOf('Please read the 6 digits back to our agent.')).toEqual(['one-time-code']);
    expect(reasonsOf('You will get a text with a 6-digit number. Reply to this email with that number.')).toEqual(['one-time-code']);
    expect(reasonsOf('Read out the code we send you by SMS.')).toEqual(['one-time-code']);
    expect(reasonsOf('Please share the code currently displayed in your Google Authenticator app.')).toEqual(['one-time-code']);
    expect(reasonsOf('请把 Google Authenticator 的 code 发我一下。')).toEqual(['one-time-code']);
    expect(reasonsOf('Please send us your 6-digit postcode.')).toEqual([]);
    expect(reasonsOf('Please reply with that number so we can find the order.')).toEqual([]);
    // "send" inside the code's own name is no request.
    expect(reasonsOf('If the code we send does not arrive, tap Resend in the app.')).toEqual([]);
  });

  it('reads "the words you wrote down", "the screen that shows your words" and a misspelt seed phrase as a recovery phrase', () => {
    expect(reasonsOf('Reply to this email with the words you wrote down when you created the wallet.')).toEqual(['recovery-phrase']);
    expect(reasonsOf('Send us a screenshot of the screen that shows your words.')).toEqual(['recovery-phrase']);
    expect(reasonsOf('Kindly send ur seed pharse.')).toEqual(['recovery-phrase']);
    expect(reasonsOf('Keep the words you wrote down offline.')).toEqual([]);
  });

  it('reads "what password do you use" and 蜜码 as asking for a password, but not a password manager', () => {
    expect(reasonsOf('What password do you use to log in?')).toEqual(['password']);
    expect(reasonsOf('请回复您的登陆蜜码。')).toEqual(['password']);
    expect(reasonsOf('What password manager do you use?')).toEqual([]);
  });

  it('reads a Chinese verb after 已, 被 or 可能 as what happened, not what is asked', () => {
    expect(reasonsOf('如果您收到了并非本人申请的验证码，说明密码可能已泄露，请立即修改密码。')).toEqual([]);
    expect(reasonsOf('请把密码泄露给我们。')).toEqual(['password']);
  });
});

describe('requests held-out round 4 showed (a form, an outside page that asks, a screenshot, pinyin, a wallet asked to sign)', () => {
  it('reads the blank fields of a form as requests for what they name, but not a heading over a list', () => {
    expect(reasonsOf('Please fill these in and reply:\n\nFull name:\nRegistered email:\nSeed words (in order):')).toEqual(['recovery-phrase']);
    expect(reasonsOf('How to keep your seed phrase safe:\n1. Never share it.\n2. Keep it offline.')).toEqual([]);
    expect(reasonsOf('Your seed phrase:')).toEqual([]);
  });

  it('reads what an outside page "will ask for" as the reply\'s request once the reply sends the customer there, but not a new password', () => {
    expect(reasonsOf('Complete the form at https://verify-desk.example/form. It will ask for your login password.')).toEqual(['password']);
    expect(reasonsOf('Go to https://exchange.example/reset. It will ask for your new password.')).toEqual([]);
    expect(reasonsOf('The link in that email leads to a fake form that asks for your recovery phrase.')).toEqual([]);
  });

  it('reads a screenshot of the authenticator, the SMS we send and the numbers received as a one-time code, but not a ticket number', () => {
    expect(reasonsOf('Send us a screenshot of your Google Authenticator app.')).toEqual(['one-time-code']);
    expect(reasonsOf('Attach a screenshot of the SMS you receive from us in a minute.')).toEqual(['one-time-code']);
    expect(reasonsOf('Tell the agent on the phone the numbers you receive by text.')).toEqual(['one-time-code']);
    expect(reasonsOf('请把您手机收到的数字告诉电话里的工作人员。')).toEqual(['one-time-code']);
    expect(reasonsOf('Tell us which authenticator app you use.')).toEqual([]);
    expect(reasonsOf('Please reply quoting the ticket number we sent you.')).toEqual([]);
    expect(reasonsOf('Please send a screenshot of the SMS you received from the scammer.')).toEqual([]);
  });

  it('reads "reply immediately with", "copy the code into this thread" and pinyin as requests, but copying a phrase to a safe place as advice', () => {
    expect(reasonsOf('Reply immediately with your 2FA backup key.')).toEqual(['one-time-code']);
    expect(reasonsOf('You will get an email with a verification code. Copy the code into this thread.')).toEqual(['one-time-code']);
    expect(reasonsOf('You will get an SMS with a verification code. Enter the code in the app to finish.')).toEqual([]);
    expect(reasonsOf('qing ba ni de zhujici fa gei wo men')).toEqual(['recovery-phrase']);
    expect(reasonsOf('qing ba 2FA yanzhengma fa gei kefu')).toEqual(['one-time-code']);
    expect(reasonsOf('Copy your recovery phrase onto a card and keep it in a safe place.')).toEqual([]);
  });

  it('blocks a wallet asked to sign a message or approve a token, but not signing in, an OTC contract or a withdrawal confirmed by email', () => {
    expect(reasonsOf('We will push a message to your MetaMask. Please press Sign when it appears.')).toEqual(['wallet-approval']);
    expect(reasonsOf('Approve USDT spending for our refund contract (choose Approve > Max).')).toEqual(['wallet-approval']);
    expect(reasonsOf('请在您的钱包中签名我们发送的验证消息。')).toEqual(['wallet-approval']);
    expect(reasonsOf('请把 USDT 授权给我们的退款合约（请选择无限授权）。')).toEqual(['wallet-approval']);
    expect(reasonsOf('We will never ask you to sign a message or approve a token in your wallet.')).toEqual([]);
    expect(reasonsOf('关于钱包弹出的“签名”请求：不要签署您不理解的消息或授权。')).toEqual([]);
    expect(reasonsOf('Please sign in to the app and check your wallet balance.')).toEqual([]);
    expect(reasonsOf("Sign the OTC contract we emailed and we'll send the USDT to your wallet.")).toEqual([]);
    expect(reasonsOf('Please approve the withdrawal of 500 USDT in the confirmation email; it then goes to your wallet.')).toEqual([]);
  });

  it('reads a concession answered by a refusal, 无论…都不要 and 一旦泄露 as warnings', () => {
    expect(reasonsOf("A screen share would be quicker, but we don't use remote-desktop tools like AnyDesk.")).toEqual([]);
    expect(reasonsOf('A screen share would be quicker, but please send a screenshot.')).toEqual(['remote-access']);
    expect(reasonsOf('无论对方说是加密发送还是压缩加密，都不要把私钥发给任何人。')).toEqual([]);
    expect(reasonsOf('私钥一旦泄露，资产就可能被转走。')).toEqual([]);
    expect(reasonsOf('一旦提供私钥，我们即可恢复。')).toEqual(['private-key']);
  });
});

describe('remote access and sending funds', () => {
  it('blocks the ID a "support tool" shows, handed over after installing it, but not an order ID or an ID without an install', () => {
    expect(reasonsOf('Download our support tool, install it and send us the 9-digit ID it shows.')).toEqual(['remote-access']);
    expect(reasonsOf('请安装客服助手APP，打开后把设备码发给我们。')).toEqual(['remote-access']);
    expect(reasonsOf('Download the app and send us the order ID it shows.')).toEqual([]);
    expect(reasonsOf('Please send us the device ID from the error page.')).toEqual([]);
    expect(reasonsOf('Never install a tool a caller names, and never send anyone the device code it shows.')).toEqual([]);
  });

  it('blocks a wallet sent to a site to be synced or connected, but not a state, a warning, the app or a block explorer', () => {
    expect(reasonsOf('Please go to wallet-sync-center.io and resync your wallet.')).toEqual(['wallet-site']);
    expect(reasonsOf('请访问 https://wallet-sync.io 按提示同步钱包。')).toEqual(['wallet-site']);
    expect(reasonsOf('Once your wallet syncs, check https://etherscan.io.')).toEqual([]);
    expect(reasonsOf('如果钱包没有同步，请访问 https://tronscan.org 查询交易。')).toEqual([]);
    expect(reasonsOf('Scammers ask you to connect your wallet on sites like wallet-sync.io.')).toEqual([]);
    expect(reasonsOf('Please go to the Web3 page in the app to connect your wallet.')).toEqual([]);
    expect(reasonsOf('To verify the deposit to your wallet, check https://etherscan.io/tx/0x30cbd85a.')).toEqual([]);
    expect(reasonsOf('Connect your wallet in the app; questions go to help@example-exchange.com.')).toEqual([]);
  });

  it('blocks a remote-desktop tool named without a warning, and lets a warning or an uninstall through', () => {
    expect(reasonsOf('Please install AnyDesk so our engineer can help.')).toEqual(['remote-access']);
    expect(reasonsOf('请下载向日葵，我远程帮您处理。')).toEqual(['remote-access']);
    expect(reasonsOf('We never use AnyDesk or TeamViewer.')).toEqual([]);
    expect(reasonsOf('If you installed TeamViewer for a caller, uninstall it now.')).toEqual([]);
    expect(reasonsOf('我们不使用ToDesk等远程控制软件。')).toEqual([]);
  });

  it('blocks funds sent to verify, but not information sent to verify a deposit', () => {
    expect(reasonsOf('Send 0.1 BTC to verify your wallet; it is refunded within an hour.')).toEqual(['send-funds']);
    expect(reasonsOf('请转账100 USDT进行验证，验证后退回。')).toEqual(['send-funds']);
    expect(reasonsOf('To verify the deposit, please send us the TXID and the amount.')).toEqual([]);
    expect(reasonsOf('Please do not send funds to anyone to verify your wallet.')).toEqual([]);
  });
});

describe('addresses', () => {
  const listed = parseDepositAddresses('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe\n', 'test');

  it('lets a listed address through, in any case for EVM', () => {
    expect(reasonsOf('Our address: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', { depositAddresses: listed })).toEqual([]);
    expect(reasonsOf('Our address: 0xDE0B295669A9FD93D5F28D9EC85E40F4CB697BAE', { depositAddresses: listed })).toEqual([]);
  });

  it('blocks an unlisted one, naming it', () => {
    const verdict = checkStaffReply('Send it to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa please.', { depositAddresses: listed });
    expect(verdict).toMatchObject({ allowed: false, reasons: ['unlisted-address'] });
    expect(verdict.allowed ? '' : verdict.detail).toContain('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa');
  });

  it('recognises each supported kind by its checksum, and not a hash, a truncated address or a typo', () => {
    const tron = encodeBase58Check(Uint8Array.from([0x41, ...new Array<number>(20).fill(7)]));
    const kinds = findCryptoAddresses(
      [
        '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
        '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
        'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
        'bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297',
        '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
        tron,
        'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh',
      ].join(' and '),
    ).map((address) => address.kind);
    expect(kinds).toEqual(['bitcoin', 'bitcoin', 'bech32', 'bech32', 'evm', 'tron', 'xrp']);
    expect(findCryptoAddresses('TXID 0x30cbd85a8bffba6bcd7915680bdb4db3a6fd56e41ce83a28ecc964de1a36826f')).toEqual([]);
    expect(findCryptoAddresses('the address ending in bc1qxy…0wlh')).toEqual([]);
    expect(findCryptoAddresses('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb')).toEqual([]);
    expect(isValidBech32('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5')).toBe(false);
    expect(isValidBech32('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')).toBe(true);
    expect(isValidBech32('bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe(false);
  });
});

describe('the deposit-address file', () => {
  it('reads one address per line, with comments and blank lines, into canonical forms', () => {
    const parsed = parseDepositAddresses('# BTC cold wallet\nbc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n\n0xDE0B295669a9FD93d5F28D9Ec85E40f4cb697BAe  # ETH\n', 'deposit.txt');
    expect([...parsed]).toEqual(['bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', '0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae']);
    expect(canonicalAddress('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq')).toBe('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq');
  });

  it('refuses an entry that is not an address, naming the file and the line', () => {
    const read = () => parseDepositAddresses('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb\nnot an address\n', 'deposit.txt');
    expect(read).toThrow(DepositAddressFileError);
    expect(read).toThrow(/^deposit\.txt: line 2: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb" is not an address.*; line 3: "not an address"/);
  });
});

describe('limits', () => {
  it('checks as much as the relay sends, and refuses whole what is longer rather than check part of it', () => {
    expect(MAX_CHECKED_CHARS).toBeGreaterThanOrEqual(MAX_REPLY_TEXT_CHARS);
    expect(reasonsOf('a'.repeat(MAX_CHECKED_CHARS + 1))).toEqual(['too-long']);
    expect(reasonsOf(`${'Thank you for waiting. '.repeat(800)}Please send me your seed phrase.`.slice(0, MAX_CHECKED_CHARS))).toEqual(['recovery-phrase']);
  });

  it('checks a clause of the longest size, thousands of triggers in it, by looking back a bounded window', () => {
    // Every trigger follows a "never" close behind it: a warning, however long.
    const warning = 'never send never tell never provide '.repeat(Math.floor(MAX_CHECKED_CHARS / 40));
    expect(reasonsOf(`${warning}your password`)).toEqual([]);
    // The same clause with the negations far behind the last trigger: a request.
    expect(reasonsOf(`${warning.slice(0, 15_000)}${' and so on'.repeat(30)} please send your password`)).toEqual(['password']);
  });
});
