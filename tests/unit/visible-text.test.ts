/**
 * extractVisibleText on replies real clients wrote (talon's and crisp's corpora), on the Chinese clients'
 * markers, and on bodies built to make it hang.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInboundMail } from '../../functions/mail/parse';
import { describe, expect, it } from 'vitest';
import { extractVisibleText, MAX_HTML_CHARS, MAX_TEXT_CHARS, MAX_TEXT_LINES } from '../../functions/mail/visible-text';

const FIXTURES = fileURLToPath(new URL('../fixtures/mail', import.meta.url));
const REPLIES = fileURLToPath(new URL('../../../shared/corpus/replies', import.meta.url));
const TALON_STANDARD = join(REPLIES, 'talon/standard_replies');
const TALON_HTML = join(REPLIES, 'talon/html_replies');
const CRISP = join(REPLIES, 'crisp');

/** What the pipeline hands over: the decoded text and HTML bodies from Concierge's own parser. */
async function parsedBody(path: string): Promise<{ text?: string; html?: string }> {
  const mail = await parseInboundMail(readFileSync(path));
  return { ...(mail.text ? { text: mail.text } : {}), ...(mail.html ? { html: mail.html } : {}) };
}

/** Every non-blank line of `result` is a line of `input`, in the input's order. */
function isOrderedSubsetOfLines(result: string, input: string): boolean {
  const source = input.split(/\r?\n/).map((line) => line.trim());
  let at = 0;
  for (const line of result.split('\n').map((each) => each.trim())) {
    if (line === '') {
      continue;
    }
    while (at < source.length && source[at] !== line) {
      at++;
    }
    if (at === source.length) {
      return false;
    }
    at++;
  }
  return true;
}

describe('talon standard replies (Android, AOL, Apple Mail, Gmail, Outlook, Sparrow, Yahoo, …)', () => {
  const files = readdirSync(TALON_STANDARD).filter((name) => name.endsWith('.eml'));
  // Thunderbird sent "> Hi " (trailing space, format=flowed) above the unquoted "Hello". RFC 3676 §4.5 ends a
  // flowed paragraph where the quote depth changes; mailparser alone joins them into "> Hi Hello", which is
  // why parseInboundMail decodes flowed text itself.
  const flowedAcrossQuoteDepth = 'thunderbird.eml';

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    expect(files).toContain(flowedAcrossQuoteDepth);
  });

  it.each(files)('%s says exactly "Hello"', async (name) => {
    // Prepare
    const body = await parsedBody(join(TALON_STANDARD, name));

    // Act
    const visible = extractVisibleText(body);

    // Assess: talon's iphone_reply_text and sparrow_reply_text keep "Sent from my iPhone" and the "-- " block;
    // this desk strips signatures too, so those give "Hello" as well.
    expect(visible).toBe('Hello');
  });

  it('finds "Hello" below the quote in Thunderbird\'s bottom-posted reply as it was sent', () => {
    // Prepare: the 7bit body exactly as written, before any format=flowed decoding.
    const raw = readFileSync(join(TALON_STANDARD, flowedAcrossQuoteDepth), 'utf8');
    const body = raw.slice(raw.search(/\r?\n\r?\n/)).trim();

    // Act
    const visible = extractVisibleText({ text: body });

    // Assess
    expect(body).toContain('wrote:\n> Hi \nHello');
    expect(visible).toBe('Hello');
  });
});

describe('talon HTML replies (Outlook 2003/07/10, Gmail, Thunderbird, Windows Mail, Hotmail, mail.ru, Yandex)', () => {
  const files = readdirSync(TALON_HTML).filter((name) => name.endsWith('.html'));

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it.each(files)('%s says "Hi. I am fine. Thanks, Alex"', (name) => {
    // Prepare
    const html = readFileSync(join(TALON_HTML, name), 'utf8');

    // Act
    const visible = extractVisibleText({ html });

    // Assess: the corpus README compares with all whitespace removed.
    expect(visible.replace(/\s+/gu, '')).toBe('Hi.Iamfine.Thanks,Alex');
  });
});

describe('crisp reply bodies (nine languages, Outlook iOS/Android, Gmail split headers, MSN, Zoho, BlackBerry)', () => {
  /** The new text of most crisp fixtures, as crisp's own test/test.js spells it. */
  const COMMON_FIRST_FRAGMENT =
    'Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, pharetra sodales ante sem sit amet metus.\n' +
    'Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, convallis consectetur ex libero eget ante.\n' +
    'Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum venenatis ex a rutrum.\n' +
    'Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum convallis lectus urna,\n' +
    'et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh.';

  /** Fixtures whose first fragment crisp's test/test.js pins to COMMON_FIRST_FRAGMENT, all else being history. */
  const COMMON = [
    'email_7', 'email_8', 'email_9', 'email_10', 'email_11', 'email_12', 'email_13', 'email_14', 'email_16',
    'email_17', 'email_18', 'email_22', 'email_23', 'email_24', 'email_25', 'email_26', 'email_portuguese',
    'email_german', 'email_german_2', 'email_german_outlook', 'email_norwegian_gmail', 'email_finnish',
    'email_italian', 'email_russian', 'email_outlook_split_line_from', 'email_gmail_split_line_from',
    'email_ios_outlook', 'email_ios_outlook_fr', 'email_msn', 'email_fr_multiline', 'email_french_2',
    'email_en_multiline_2', 'email_original_message', 'email_original_message_2', 'email_danish_dash_separator',
    'email_french_dash_separator', 'email_tricky_5_mixed_languages', 'email_tricky_10_special_chars_in_name',
    'email_tricky_12_no_space_after_header', 'email_tricky_14_long_quote_header',
    'email_tricky_15_original_message_variations',
  ];

  const read = (name: string): string => readFileSync(join(CRISP, `${name}.txt`), 'utf8');
  const whole = (name: string): string => read(name).replace(/[ \t]+$/gmu, '').trim();
  const upTo = (name: string, marker: string): string => {
    const text = read(name);
    return text.slice(0, text.indexOf(marker)).replace(/[ \t]+$/gmu, '').trim();
  };

  /**
   * Exact new text where crisp's test/test.js states it, or where the fixture's name does (…_sent_from_my_…,
   * …_not_a_signature, …_quote_header), or where the body has no history at all (tricky_* false positives).
   */
  const EXACT: Record<string, () => string> = {
    correct_sig: () => 'this is an email with a correct -- signature.',
    sig_no_empty_line: () => 'this is an email with a signature with no empty line above.',
    email_1: () => upTo('email_1', '\n__\n'),
    email_3: () => 'Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona',
    email_4: () => "Awesome! I haven't had another problem with it.",
    email_5: () => whole('email_5'),
    email_6: () => 'I get proper rendering as well.\n\nSent a magnificent torch of pixels',
    email_21: () => whole('email_21'),
    email_2_1: () => 'Outlook with a reply',
    email_blackberry: () => 'Here is another email',
    email_bullets: () => upTo('email_bullets', 'On Fri, Feb 24'),
    email_custom_quote_header: () => 'Thank you!',
    email_customer_quote_header_2: () => 'Thank you very much.',
    email_customer_quote_header_3: () => upTo('email_customer_quote_header_3', '      De : '),
    email_emoji: () => '🎉\n\n—\nJohn Doe\nCEO at Pandaland\n\n@pandaland',
    email_iphone: () => 'Here is another email',
    email_multi_word_sent_from_my_mobile_device: () => 'Here is another email',
    email_not_a_signature: () => whole('email_not_a_signature'),
    email_not_a_signature_2: () => whole('email_not_a_signature_2'),
    email_one_is_not_on: () => upTo('email_one_is_not_on', 'On Oct 1, 2012'),
    email_reply_header: () => upTo('email_reply_header', 'On Wed, Dec 9'),
    email_sent_from: () =>
      'Hi it can happen to any texts you type, as long as you type in between words or paragraphs.',
    email_sent_from_my_not_signature: () => whole('email_sent_from_my_not_signature'),
    email_thread: () => 'This is new email reply in thread from bellow.',
    email_unquoted_reply: () => 'This is my reply.',
    email_zoho: () => 'What is the best way to clear a Riak bucket of all key, values after\nrunning a test?',
    email_tricky_1_on_false_positive: () => whole('email_tricky_1_on_false_positive'),
    email_tricky_2_url_with_wrote: () => whole('email_tricky_2_url_with_wrote'),
    email_tricky_3_code_block: () => whole('email_tricky_3_code_block'),
    email_tricky_4_from_in_body: () => whole('email_tricky_4_from_in_body'),
    email_tricky_6_regards_in_sentence: () => whole('email_tricky_6_regards_in_sentence'),
    email_tricky_7_multiple_dashes: () => whole('email_tricky_7_multiple_dashes'),
    email_tricky_8_sent_from_in_content: () => whole('email_tricky_8_sent_from_in_content'),
    email_tricky_9_nested_quotes: () => 'I agree with the points below.',
    email_tricky_11_double_signature: () => 'Thanks for your help!\n\nBest regards,\nJohn',
    email_tricky_13_timestamp_variations: () => whole('email_tricky_13_timestamp_variations'),
    email_tricky_17_forward_header: () => 'See the forwarded message below.',
    email_tricky_18_inline_reply: () =>
      'I think option A is great.\n\nOption B has some drawbacks.\n\nOption C is not suitable for our use case.',
    email_tricky_19_quote_without_header: () =>
      'I wanted to respond to your points:\n\nMy response to the quoted text above.\n\nAnd my final thoughts.',
    email_tricky_20_html_entities: () => upTo('email_tricky_20_html_entities', 'On Dec 15, 2024'),
  };

  /**
   * The rest: what crisp's test asserts of the first fragment, and the history that must be gone. email_15 and
   * email_german_3 put a device line ("Sent from my Wiko …", "Gesendet von Outlook für Android") above an
   * unmarked original; crisp hides everything below such a line, this desk strips device lines only where the
   * new text ends, so only the start is pinned. "Regards," closes a letter here, where crisp hides it.
   */
  const PARTIAL: Record<string, { startsWith: string; absent: string[] }> = {
    email_2: { startsWith: 'Hi,\n\nYou can list the keys', absent: ['Abhishek Kona wrote:', 'riak-users mailing list'] },
    email_15: { startsWith: COMMON_FIRST_FRAGMENT, absent: [] },
    email_german_3: { startsWith: COMMON_FIRST_FRAGMENT, absent: [] },
    email_19: { startsWith: 'On Thursday, I get proper rendering.', absent: ['Corey Donohoe', 'wrote:'] },
    email_20: { startsWith: 'On Thursday.', absent: ['John Doe', 'wrote:'] },
    email_with_date_headers: { startsWith: 'Thank you very much.', absent: [] },
    email_with_from_headers: { startsWith: '[FROM]', absent: [] },
    email_with_regards: { startsWith: 'Hi,\n\nI still have the same problem....\n\nCan you help?', absent: [] },
    email_tricky_16_unicode_signatures: { startsWith: 'Thanks for the update!', absent: [] },
  };

  const names = readdirSync(CRISP)
    .filter((file) => file.endsWith('.txt'))
    .map((file) => file.slice(0, -'.txt'.length));

  it('finds the corpus, and an expectation for every body', () => {
    expect(names.length).toBeGreaterThanOrEqual(89);
    const covered = new Set([...COMMON, ...Object.keys(EXACT), ...Object.keys(PARTIAL)]);
    expect(names.filter((name) => !covered.has(name))).toEqual([]);
  });

  it.each(names)('%s keeps new text only: non-empty, its own lines, no quote', (name) => {
    // Prepare
    const input = read(name);

    // Act
    const visible = extractVisibleText({ text: input });

    // Assess
    expect(visible).not.toBe('');
    expect(isOrderedSubsetOfLines(visible, input)).toBe(true);
    expect(visible.split('\n').filter((line) => line.trimStart().startsWith('>'))).toEqual([]);
  });

  it.each(COMMON)('%s says exactly crisp\'s first fragment', (name) => {
    // Prepare
    const input = read(name);

    // Act
    const visible = extractVisibleText({ text: input });

    // Assess
    expect(visible).toBe(COMMON_FIRST_FRAGMENT);
  });

  it.each(Object.keys(EXACT))('%s says exactly its new text', (name) => {
    // Prepare
    const input = read(name);
    const expected = EXACT[name]?.() ?? '';

    // Act
    const visible = extractVisibleText({ text: input });

    // Assess
    expect(expected).not.toBe('');
    expect(visible).toBe(expected);
  });

  it.each(Object.keys(PARTIAL))('%s starts with its new text and drops the history', (name) => {
    // Prepare
    const input = read(name);
    const { startsWith, absent } = PARTIAL[name] ?? { startsWith: '', absent: [] };

    // Act
    const visible = extractVisibleText({ text: input });

    // Assess
    expect(visible.startsWith(startsWith)).toBe(true);
    for (const text of absent) {
      expect(visible).not.toContain(text);
    }
  });
});

describe('Chinese clients', () => {
  const cases: Array<[string, string, string]> = [
    [
      'QQ Mail "原始邮件" separator',
      '好的，谢谢！\n\n------------------ 原始邮件 ------------------\n发件人: "support"<support@x.com>;\n' +
        '发送时间: 2024年1月1日(星期一) 上午10:00\n收件人: "张三"<zhangsan@qq.com>;\n主题: Re: 订单问题\n\n您好，请问还有什么问题？',
      '好的，谢谢！',
    ],
    [
      '"在 … 写道：" above a quote',
      '收到，我明天再试一下。\n\n在 2024年1月1日 10:00，support <support@x.com> 写道：\n> 您好，问题已经解决。\n> 客服',
      '收到，我明天再试一下。',
    ],
    [
      '"在 … 写道：" above an unquoted original',
      '收到，我明天再试一下。\n\n在 2024年1月1日 10:00，support <support@x.com> 写道：\n\n您好，问题已经解决。',
      '收到，我明天再试一下。',
    ],
    [
      'Gmail zh "… 于 … 写道："',
      '好的，我知道了。\n\nsupport <support@x.com> 于2024年1月1日周一 10:00写道：\n\n> 您好，请提供订单号。',
      '好的，我知道了。',
    ],
    [
      'Gmail zh attribution wrapped over two lines',
      '好的，我知道了。\n\nsupport <support@x.com> 于2024年1月1日周一\n10:00写道：\n\n> 您好，请提供订单号。',
      '好的，我知道了。',
    ],
    [
      'Outlook zh "发件人:" header block',
      '附件已补充。\n\n发件人: support <support@x.com>\n发送时间: 2024年1月1日 10:00\n收件人: 张三 <zhangsan@x.com>\n' +
        '主题: Re: 发票问题\n\n请补充附件。',
      '附件已补充。',
    ],
    [
      'Outlook zh "发件人：" header block with full-width colons',
      '附件已补充。\n\n发件人： support <support@x.com>\n发送时间： 2024年1月1日 10:00\n收件人： 张三\n主题： Re: 发票问题\n\n请补充附件。',
      '附件已补充。',
    ],
    [
      '"-----原始邮件-----" separator',
      '请尽快处理。\n\n-----原始邮件-----\n发件人：support <support@x.com>\n发送时间：2024年1月1日 10:00\n\n您好',
      '请尽快处理。',
    ],
    ['"发自我的iPhone" signature', '好的\n\n发自我的iPhone', '好的'],
    ['"发自我的 iPhone" signature', '好的\n\n发自我的 iPhone', '好的'],
    ['"来自我的华为手机" signature', '谢谢，问题解决了\n来自我的华为手机', '谢谢，问题解决了'],
    [
      'device signature above a QQ separator',
      '好的\n\n发自我的iPhone\n\n------------------ 原始邮件 ------------------\n发件人: support <support@x.com>\n\n您好',
      '好的',
    ],
  ];

  it.each(cases)('%s', (_name, body, expected) => {
    // Act
    const visible = extractVisibleText({ text: body });

    // Assess
    expect(visible).toBe(expected);
  });

  it('keeps a device-like phrase that is not at the end of the new text', () => {
    // Prepare
    const body = '发自我的iPhone的截图在附件里\n请查看。';

    // Act
    const visible = extractVisibleText({ text: body });

    // Assess
    expect(visible).toBe(body);
  });
});

describe('markers of English and other clients', () => {
  const cases: Array<[string, string, string]> = [
    ['"-----Original Message-----"', 'Thanks\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold', 'Thanks'],
    ['"----- Original Message -----"', 'Thanks\n\n----- Original Message -----\nFrom: a\n\nold', 'Thanks'],
    [
      'Outlook rule, then "From:"',
      'Thanks\n\n________________________________\nFrom: Support <support@x.com>\nSent: Monday\nTo: me\nSubject: hi\n\nold',
      'Thanks',
    ],
    [
      'Outlook "From: … Sent: … To: … Subject:" block',
      'Thanks\n\nFrom: Support <support@x.com>\nSent: Monday, January 1, 2024 10:00 AM\nTo: me <me@x.com>\n' +
        'Subject: RE: hi\n\nold',
      'Thanks',
    ],
    [
      '"On … wrote:" above an unquoted original',
      'Thanks\n\nOn Mon, Jan 1, 2024 at 10:00 AM Support <support@x.com> wrote:\n\nold unquoted',
      'Thanks',
    ],
    [
      '"On … wrote:" wrapped over two lines',
      'Thanks\n\nOn Mon, Jan 1, 2024 at 10:00 AM Support Team <\nsupport@x.com> wrote:\n\n> old',
      'Thanks',
    ],
    [
      'Android, Russian, attribution wrapped over two lines',
      'Hello\n02.04.2012 14:20 пользователь "bob@x" <\nbob@x> написал:\n\n> Hi\n>',
      'Hello',
    ],
    [
      'bottom-posted reply below the quote',
      'On Mon, Jan 1, 2024 at 10:00 AM Support <support@x.com> wrote:\n> How can we help?\n> Support\n\n' +
        'My printer is broken.',
      'My printer is broken.',
    ],
    [
      'a lone "De :" header, which only email-reply-parser knows',
      'Merci\n\nDe : Company <questions@company.com>\n\nold text',
      'Merci',
    ],
    ['"-- " signature', 'Thanks\n-- \nBob\nACME Corp', 'Thanks'],
    ['"Sent from my Android phone"', 'Thanks\n\nSent from my Android phone', 'Thanks'],
    ['"Get Outlook for iOS"', 'Thanks\n\nGet Outlook for iOS<https://aka.ms/o0ukef>', 'Thanks'],
    ['"Sent with Sparrow (…)"', 'Thanks\n\nSent with Sparrow (http://www.sparrowmailapp.com/?sig)', 'Thanks'],
    [
      'a sentence that opens like a device line',
      'Thanks\n\nSent from my desk, which is easier than my phone.',
      'Thanks\n\nSent from my desk, which is easier than my phone.',
    ],
  ];

  it.each(cases)('%s', (_name, body, expected) => {
    // Act
    const visible = extractVisibleText({ text: body });

    // Assess
    expect(visible).toBe(expected);
  });
});

describe('HTML-only bodies', () => {
  const cases: Array<[string, string, string]> = [
    [
      'a table keeps its cells apart: a space between cells, a line between rows',
      '<p>My words:</p><table><tr><td>alpha</td><td>beta</td></tr><tr><th>gamma</th><td>delta <b>x</b></td></tr></table>',
      'My words:\n\nalpha beta\ngamma delta x',
    ],
    [
      'new Outlook: #appendonsend and #divRplyFwdMsg, the original after them unquoted',
      '<div>Fixed now, thanks.</div><div id="appendonsend"></div><hr style="display:inline-block">' +
        '<div id="divRplyFwdMsg"><b>From:</b> Support<br><b>Sent:</b> Monday</div><div>Old text</div>',
      'Fixed now, thanks.',
    ],
    [
      'Outlook "border-top" header div',
      '<p class="MsoNormal">Done.</p><div style="border:none;border-top:solid #E1E1E1 1.0pt">' +
        '<p class="MsoNormal"><b>From:</b> Support<br><b>Sent:</b> Monday</p></div><p class="MsoNormal">Old</p>',
      'Done.',
    ],
    [
      'a bordered div that is not a header stays',
      '<div style="border-top:1px solid #ccc">Order 42 arrived broken.</div>',
      'Order 42 arrived broken.',
    ],
    [
      'Thunderbird bottom post: cite prefix and blockquote, then the reply',
      '<div class="moz-cite-prefix">On 01.01.2024 10:00, Support wrote:<br></div>' +
        '<blockquote type="cite">Old</blockquote><p>My answer</p>',
      'My answer',
    ],
    [
      'Yahoo quote container',
      '<div>Yes</div><div class="yahoo_quoted"><div>On Monday, Support &lt;s@x.com&gt; wrote:</div><div>Old</div></div>',
      'Yes',
    ],
    [
      'Gmail inline answers between the blockquotes of its quote wrapper',
      '<div dir="ltr">Hi Yue,</div><br><div class="gmail_quote gmail_quote_container">' +
        '<div dir="ltr" class="gmail_attr">On Mon, Nov 16, 2026 at 10:00 AM Yue Li &lt;yue.li@partner.example&gt; wrote:<br></div>' +
        '<blockquote class="gmail_quote"><div dir="ltr">Does the withdrawal API accept a memo field?</div></blockquote>' +
        '<div>Yes, since version 2.3.</div>' +
        '<blockquote class="gmail_quote"><div dir="ltr">And is there a daily limit?</div></blockquote>' +
        '<div>Yes, 50 per day.</div></div>',
      'Hi Yue,\n\nYes, since version 2.3.\n\nYes, 50 per day.',
    ],
    [
      'Gmail top-posted reply: attribution and blockquote in the quote wrapper',
      '<div dir="ltr">Thanks, that fixed it.</div><br><div class="gmail_quote">' +
        '<div dir="ltr" class="gmail_attr">On Mon, Nov 16, 2026 at 10:00 AM Support &lt;support@x.com&gt; wrote:<br></div>' +
        '<blockquote class="gmail_quote"><div dir="ltr">Please clear the cache.<br>Support</div></blockquote></div>',
      'Thanks, that fixed it.',
    ],
    [
      'Gmail forward with no note: the forwarded mail is the message',
      '<div dir="ltr"><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>' +
        'From: <b>Security</b> &lt;security@verify.example&gt;<br>Date: Mon, Nov 16, 2026<br>Subject: Verify now<br></div>' +
        '<br><div>Click here to verify</div></div></div>',
      '---------- Forwarded message ---------\nFrom: Security <security@verify.example>\nDate: Mon, Nov 16, 2026\n' +
        'Subject: Verify now\n\n\nClick here to verify',
    ],
    [
      'links and images add no text',
      '<p>See <a href="https://x.com/a">the page</a> <img src="a.png" alt="pic"></p>',
      'See the page',
    ],
  ];

  it.each(cases)('%s', (_name, html, expected) => {
    // Act
    const visible = extractVisibleText({ html });

    // Assess
    expect(visible).toBe(expected);
  });

  it('prefers the text body and falls back to HTML when the text is blank', () => {
    // Act
    const fromText = extractVisibleText({ text: 'plain words', html: '<p>html words</p>' });
    const fromHtml = extractVisibleText({ text: ' \n ', html: '<p>html words</p>' });

    // Assess
    expect(fromText).toBe('plain words');
    expect(fromHtml).toBe('html words');
  });
});

describe('output shape', () => {
  it('returns "" for no body at all', () => {
    // Act
    const results = [
      extractVisibleText({}),
      extractVisibleText({ text: '', html: '' }),
      extractVisibleText({ text: '\n \n', html: ' ' }),
    ];

    // Assess
    expect(results).toEqual(['', '', '']);
  });

  it('uses \\n line ends, trims, and collapses runs of three or more blank lines to one', () => {
    // Prepare
    const text = '\r\n  first\r\n\r\n\r\n\r\n\r\nsecond\r\n\r\n\r\nthird  \r\n\r\n';

    // Act
    const visible = extractVisibleText({ text });

    // Assess: four blank lines become one; two stay two.
    expect(visible).toBe('first\n\nsecond\n\n\nthird');
  });
});

describe('mail pasted at the top of the body', () => {
  /** The text as its writer sent it, with the line ends and trailing spaces extractVisibleText normalises. */
  const asSent = (text: string): string => text.replace(/\r\n?/gu, '\n').replace(/[ \t]+$/gmu, '').trim();

  it.each([
    ['pasted-phishing.eml', 'a customer pasting a phishing mail, header block first, asking about it below'],
    ['pasted-phishing-zh.eml', 'the same from a Chinese client, "发件人:" first'],
    ['git-format-patch-pasted.eml', 'a `git format-patch` mbox pasted whole, the question under it'],
    ['git-send-email-patch.eml', 'a `git send-email` patch whose body opens with the author\'s "From:"'],
  ])('%s: keeps all of it (%s)', async (name) => {
    // Prepare
    const body = await parsedBody(join(FIXTURES, name));

    // Act
    const visible = extractVisibleText(body);

    // Assess: everything is kept, signature-like rules inside the pasted mail included.
    expect(visible).toBe(asSent(body.text ?? '').replace(/^-- $/gmu, '--'));
  });

  it('keeps the customer\'s question under the pasted phishing mail, and the link they ask about', async () => {
    // Prepare
    const body = await parsedBody(join(FIXTURES, 'pasted-phishing.eml'));

    // Act
    const visible = extractVisibleText(body);

    // Assess
    expect(visible).toContain('https://concierge-account-verify.com/secure/login?id=88213');
    expect(visible).toContain('Is it really from you?');
  });

  it.each<[string, string, string]>([
    [
      'a forward with no note',
      '---------- Forwarded message ---------\nFrom: Security <security@verify.example>\nDate: Mon, Nov 16, 2026\n' +
        'Subject: Verify now\n\nClick here',
      '---------- Forwarded message ---------\nFrom: Security <security@verify.example>\nDate: Mon, Nov 16, 2026\n' +
        'Subject: Verify now\n\nClick here',
    ],
    [
      'blank lines above the pasted header block',
      '\n  \nFrom: Security <security@verify.example>\nSent: Monday\nSubject: Verify now\n\nClick here\n-- \nSecurity',
      'From: Security <security@verify.example>\nSent: Monday\nSubject: Verify now\n\nClick here\n--\nSecurity',
    ],
    [
      'an attribution with nothing typed above and no quote under it',
      'On Mon, Nov 16, 2026 at 11:02 PM Security <security@verify.example> wrote:\n\nClick here\n\nIs this yours?',
      'On Mon, Nov 16, 2026 at 11:02 PM Security <security@verify.example> wrote:\n\nClick here\n\nIs this yours?',
    ],
    [
      'words typed above a header block still end the new text there',
      'Is this real?\n\nFrom: Security <security@verify.example>\nSent: Monday\nSubject: Verify now\n\nClick here',
      'Is this real?',
    ],
  ])('%s', (_name, text, expected) => {
    // Act
    const visible = extractVisibleText({ text });

    // Assess
    expect(visible).toBe(expected);
  });
});

describe('inline answers between quotes', () => {
  const attribution = 'On Mon, Nov 16, 2026 at 10:00 AM Yue Li <yue.li@partner.example> wrote:';
  const longQuestion = '> Does the withdrawal API accept a memo field for XRP and XLM withdrawals?';
  const longQuestion2 = '> And is there a daily limit on the number of withdrawals for one account?';

  it.each<[string, string, string]>([
    [
      'answers right under long quoted lines, no blank lines',
      `Hi Yue,\n\n${attribution}\n${longQuestion}\nYes, since version 2.3.\n${longQuestion2}\nYes, 50 per day.\n`,
      'Hi Yue,\nYes, since version 2.3.\nYes, 50 per day.',
    ],
    [
      'answers under short quoted lines',
      `Hi Yue,\n${attribution}\n> memo field?\nYes.\n> daily limit?\n50.`,
      'Hi Yue,\nYes.\n50.',
    ],
    [
      'answers set apart by blank lines, then the rest of the quote',
      `Hi Yue,\n\n${attribution}\n\n${longQuestion}\n\nYes, since version 2.3.\n\n${longQuestion2}\n\nYes, 50 per day.\n\n> Thanks,\n> Yue`,
      'Hi Yue,\n\nYes, since version 2.3.\n\nYes, 50 per day.',
    ],
    [
      'Chinese answers under a Chinese attribution',
      '李月你好，\n在 2026年11月16日 10:00，Yue Li <yue.li@partner.example> 写道：\n> 提现接口支持 memo 字段吗？我们的客户在提现 XRP 和 XLM 时一直在问这个问题，这个问题比较急，麻烦尽快回复，谢谢！\n支持，从 2.3 版本开始。\n> 每天有提现次数限制吗？\n有，每天 50 次。',
      '李月你好，\n支持，从 2.3 版本开始。\n有，每天 50 次。',
    ],
    [
      'a quoted line the client wrapped, its tail in lower case, stays with the quote',
      `Thanks, fixed.\n\n${attribution}\n> The withdrawal page shows an error when the memo field holds a very\nlong value.\n> Can you check?`,
      'Thanks, fixed.',
    ],
  ])('%s', (_name, text, expected) => {
    // Act
    const visible = extractVisibleText({ text });

    // Assess
    expect(visible).toBe(expected);
  });
});

describe('hostile bodies', () => {
  it.each<[string, string]>([
    ['a long tail past MAX_TEXT_CHARS', `Hello\n${'x'.repeat(MAX_TEXT_CHARS)}\nsecret tail`],
    ['five million ">" with no newline', '>'.repeat(5_000_000)],
    ['five million spaces, then a word', `${' '.repeat(5_000_000)}word`],
    ['five million dashes', '-'.repeat(5_000_000)],
    ['a million lines', 'line\n'.repeat(1_000_000)],
    ['two thousand lines that each end like a date-first attribution', `1 ${'a@b '.repeat(95)}:\n`.repeat(2_000)],
    ['two thousand long quoted lines, each followed by a lower-case tail', `> ${'q'.repeat(100)}\nab cd\n`.repeat(2_000)],
    ['a million carriage returns', 'a\r'.repeat(1_000_000)],
  ])('reads only the capped body: %s', (_name, text) => {
    // Act
    const visible = extractVisibleText({ text });

    // Assess
    expect(visible).toBe(extractVisibleText({ text: text.slice(0, MAX_TEXT_CHARS) }));
    expect(visible.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(visible.split('\n').length).toBeLessThanOrEqual(MAX_TEXT_LINES);
  });

  it('reads only the first MAX_HTML_CHARS of an HTML body', () => {
    // Prepare
    const html = `<p>${'word '.repeat(MAX_HTML_CHARS / 5)}</p><p>secret tail</p>`;

    // Act
    const visible = extractVisibleText({ html });

    // Assess
    expect(visible).toBe(extractVisibleText({ html: html.slice(0, MAX_HTML_CHARS) }));
    expect(visible).not.toContain('secret tail');
  });

  it('returns for a 5 MB single-line text body', () => {
    // Prepare
    const text = `On ${'a '.repeat(2.5 * 1024 * 1024)}`;

    // Act
    const visible = extractVisibleText({ text });

    // Assess
    expect(typeof visible).toBe('string');
  });

  it('returns for 10,000 nested <div>s', () => {
    // Prepare
    const html = `${'<div>'.repeat(10_000)}deep${'</div>'.repeat(10_000)}`;

    // Act
    const visible = extractVisibleText({ html });

    // Assess
    expect(typeof visible).toBe('string');
  });

  it('returns for 10,000 nested <blockquote>s', () => {
    // Prepare
    const html = `top${'<blockquote>'.repeat(10_000)}deep${'</blockquote>'.repeat(10_000)}`;

    // Act
    const visible = extractVisibleText({ html });

    // Assess
    expect(typeof visible).toBe('string');
  });
});
