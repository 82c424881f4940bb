import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyMail,
  MAX_CLASSIFIED_HEADER_VALUE_CHARS,
  MAX_CLASSIFIED_SUBJECT_CHARS,
  suppressesAutoResponse,
  type ClassifyInput,
} from '../../functions/mail/classify';
import type { Classification, HeaderLine } from '../../functions/mail/types';
import { listCorpusFiles, parseCorpusFile, toClassifyInput } from '../helpers/corpus';

const SISIMAI_MACHINE_DIRS = ['bounces/sisimai/bsd', 'bounces/sisimai/dos'];

/**
 * `bsd/lhost-sendmail-14.eml` is a bounce forwarded by hand (Apple Mail, "Forward the message.", subject
 * `Fwd: Returned mail: …`, a person's From, no report structure): a person asking about a bounce, as the corpus
 * README says. It is the only message of bsd/ and dos/ that is not machine mail.
 */
const FORWARDED_BY_A_PERSON = 'bounces/sisimai/bsd/lhost-sendmail-14.eml';

/** Which rule caught each of the 708 machine messages, so a rule change that moves them shows up here. */
const EXPECTED_SISIMAI_REASONS: Record<string, number> = {
  'bounce: Content-Type: multipart/report; report-type=delivery-status': 374,
  'bounce: From mailer-daemon': 203,
  'bounce: From postmaster': 46,
  'bounce: From <> (null address)': 34,
  'bounce: Content-Type: multipart/report; report-type=feedback-report': 14,
  'auto-reply: Auto-Submitted: auto-replied': 8,
  'auto-reply: From no-reply': 7,
  'bounce: null envelope sender': 7,
  'bounce: Content-Type: multipart/report': 6,
  'bounce: Subject: complaint about message from': 3,
  'bounce: From post_master': 3,
  'auto-reply: List-Subscribe': 1,
  'auto-reply: X-MLServer': 1,
  'auto-reply: Subject: Auto reply:': 1,
};

async function classifyFile(path: string): Promise<{ name: string; result: Classification }> {
  const message = await parseCorpusFile(path);
  return { name: message.name, result: classifyMail(toClassifyInput(message)) };
}

describe('classifyMail over the sisimai corpus', () => {
  it('classifies every bounce and auto-reply in bsd/ and dos/ as machine mail, and the hand-forwarded one as a person', async () => {
    // Prepare
    const files = SISIMAI_MACHINE_DIRS.flatMap((dir) => listCorpusFiles(dir));

    // Act
    const classified = await Promise.all(files.map(classifyFile));

    // Assess
    expect(files.length).toBe(709);
    const people = classified.filter(({ result }) => result.kind === 'person');
    expect(people).toEqual([
      { name: FORWARDED_BY_A_PERSON, result: { kind: 'person', reason: 'forwarded by a person: Subject: Fwd: Returned mail' } },
    ]);
    const otherKinds = classified.filter(({ result }) => !['bounce', 'auto-reply', 'person'].includes(result.kind));
    expect(otherKinds).toEqual([]);

    const counts: Record<string, number> = {};
    for (const { result } of classified.filter(({ name }) => name !== FORWARDED_BY_A_PERSON)) {
      const key = `${result.kind}: ${result.reason}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts).toEqual(EXPECTED_SISIMAI_REASONS);
  });

  it('tells the three messages in not/ apart: two people, one real bounce', async () => {
    // Prepare
    const files = listCorpusFiles('bounces/sisimai/not');

    // Act
    const classified = await Promise.all(files.map(classifyFile));

    // Assess
    const byFile = Object.fromEntries(classified.map(({ name, result }) => [basename(name), result]));
    expect(byFile).toEqual({
      // A plain Japanese note from a person.
      'is-not-bounce-01.eml': { kind: 'person', reason: 'no automatic-mail sign' },
      // A person attaching an original message as message/rfc822: the nested headers must not count.
      'is-not-bounce-02.eml': { kind: 'person', reason: 'no automatic-mail sign' },
      // sisimai keeps it for a parser bug (issue 368), but it is a mailbox-full bounce from postmaster with a
      // null Return-Path and Auto-Submitted: auto-replied.
      'rb-issue-368-bug.eml': { kind: 'bounce', reason: 'From postmaster' },
    });
  });
});

describe('classifyMail over mail people wrote', () => {
  it('classifies every talon standard reply as person', async () => {
    // Prepare
    const files = listCorpusFiles('replies/talon/standard_replies').filter((path) => path.endsWith('.eml'));

    // Act
    const classified = await Promise.all(files.map(classifyFile));

    // Assess
    expect(files.length).toBeGreaterThanOrEqual(12);
    expect(classified.filter(({ result }) => result.kind !== 'person')).toEqual([]);
  });

  it('classifies every charsets/letters message as person', async () => {
    // Prepare
    const files = listCorpusFiles('charsets/letters');

    // Act
    const classified = await Promise.all(files.map(classifyFile));

    // Assess
    expect(files.length).toBe(164);
    expect(classified.filter(({ result }) => result.kind !== 'person')).toEqual([]);
  });
});

function personInput(overrides: Partial<ClassifyInput> = {}): ClassifyInput {
  return {
    headers: [
      { key: 'from', value: 'Alice <alice@example.com>' },
      { key: 'to', value: 'support@concierge.test' },
      { key: 'subject', value: 'Withdrawal pending' },
      { key: 'content-type', value: 'text/plain; charset=utf-8' },
    ],
    from: { address: 'alice@example.com', name: 'Alice' },
    envelopeSender: 'alice@example.com',
    contentType: 'text/plain',
    subject: 'Withdrawal pending',
    ownAddresses: ['support@concierge.test'],
    verdicts: { spam: 'PASS', virus: 'PASS' },
    ...overrides,
  };
}

function withHeaders(...extra: HeaderLine[]): Partial<ClassifyInput> {
  return { headers: [...personInput().headers, ...extra] };
}

describe('classifyMail rules', () => {
  it('lets a plain message from a person through', () => {
    // Prepare
    const input = personInput();

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual({ kind: 'person', reason: 'no automatic-mail sign' });
  });

  it.each<[string, Partial<ClassifyInput>, Classification]>([
    ['virus before everything', { verdicts: { spam: 'FAIL', virus: 'FAIL' }, contentType: 'multipart/report' }, { kind: 'virus', reason: 'SES virus verdict FAIL' }],
    ['spam before bounce signs', { verdicts: { spam: 'FAIL', virus: 'PASS' }, envelopeSender: '' }, { kind: 'spam', reason: 'SES spam verdict FAIL' }],
    ['spam before auto-reply signs', { verdicts: { spam: 'FAIL', virus: 'GRAY' }, ...withHeaders({ key: 'auto-submitted', value: 'auto-replied' }) }, { kind: 'spam', reason: 'SES spam verdict FAIL' }],
    ['GRAY and PROCESSING_FAILED verdicts are not failures', { verdicts: { spam: 'GRAY', virus: 'PROCESSING_FAILED' } }, { kind: 'person', reason: 'no automatic-mail sign' }],
  ])('verdict precedence: %s', (_name, overrides, expected) => {
    // Prepare
    const input = personInput(overrides);

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual(expected);
  });

  it.each<[string, Partial<ClassifyInput>, string]>([
    ['multipart/report with its report-type', { contentType: 'multipart/report', headers: [{ key: 'content-type', value: 'multipart/report; report-type="disposition-notification"; boundary=x' }] }, 'Content-Type: multipart/report; report-type=disposition-notification'],
    ['multipart/report without a Content-Type header line', { contentType: 'multipart/report', headers: [] }, 'Content-Type: multipart/report'],
    ['a bare message/delivery-status', { contentType: 'message/delivery-status' }, 'Content-Type: message/delivery-status'],
    ['null envelope sender as SES reports it', { envelopeSender: '' }, 'null envelope sender'],
    ['null envelope sender in angle brackets', { envelopeSender: ' <> ' }, 'null envelope sender'],
    ['MAILER-DAEMON in capitals', { from: { address: 'MAILER-DAEMON@mx.example.net', name: '' } }, 'From mailer-daemon'],
    ['Mail Delivery System <mailer-daemon@…>', { from: { address: 'mailer-daemon@googlemail.com', name: 'Mail Delivery System' } }, 'From mailer-daemon'],
    ['postmaster', { from: { address: 'Postmaster@example.org', name: '' } }, 'From postmaster'],
    ['post_master', { from: { address: 'post_master@vtext.example.com', name: '' } }, 'From post_master'],
    ['From: MAILER-DAEMON <>', { from: undefined, headers: [{ key: 'from', value: 'MAILER-DAEMON <>' }] }, 'From <> (null address)'],
    ['X-Failed-Recipients', withHeaders({ key: 'x-failed-recipients', value: 'bob@example.org' }), 'X-Failed-Recipients'],
    ['a bounce subject when nothing else shows it', { subject: 'Undeliverable: Withdrawal pending' }, 'Subject: Undeliverable'],
    ['a report wins over auto-reply headers', { contentType: 'multipart/report', ...withHeaders({ key: 'precedence', value: 'bulk' }) }, 'Content-Type: multipart/report'],
    ['a null sender without RFC 3834 auto-replied', { envelopeSender: '', ...withHeaders({ key: 'auto-submitted', value: 'auto-generated (failure)' }) }, 'null envelope sender'],
  ])('bounce: %s', (_name, overrides, reason) => {
    // Prepare
    const input = personInput(overrides);

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual({ kind: 'bounce', reason });
  });

  it.each<[string, Partial<ClassifyInput>, string]>([
    ['Auto-Submitted: auto-replied', withHeaders({ key: 'auto-submitted', value: 'auto-replied' }), 'Auto-Submitted: auto-replied'],
    ['Auto-Submitted in another case, with a comment', withHeaders({ key: 'auto-submitted', value: ' Auto-Generated (postmaster-notification)' }), 'Auto-Submitted: auto-generated'],
    ['Auto-Submitted with a parameter', withHeaders({ key: 'auto-submitted', value: 'auto-notified; owner-email="me@example.com"' }), 'Auto-Submitted: auto-notified'],
    ['an empty Auto-Submitted', withHeaders({ key: 'auto-submitted', value: '' }), 'Auto-Submitted: (empty)'],
    ['a second Auto-Submitted below a `no`', withHeaders({ key: 'auto-submitted', value: 'no' }, { key: 'auto-submitted', value: 'auto-replied' }), 'Auto-Submitted: auto-replied'],
    ['an RFC 3834 vacation reply with a null sender', { envelopeSender: '', ...withHeaders({ key: 'auto-submitted', value: 'auto-replied (vacation)' }) }, 'Auto-Submitted: auto-replied'],
    ['Precedence: bulk', withHeaders({ key: 'precedence', value: 'bulk' }), 'Precedence: bulk'],
    ['Precedence: List', withHeaders({ key: 'precedence', value: 'List' }), 'Precedence: list'],
    ['Precedence: junk', withHeaders({ key: 'precedence', value: 'junk (spam)' }), 'Precedence: junk'],
    ['Precedence: auto_reply', withHeaders({ key: 'precedence', value: 'auto_reply' }), 'Precedence: auto_reply'],
    ['X-Autoreply', withHeaders({ key: 'x-autoreply', value: 'yes' }), 'X-Autoreply'],
    ['X-Autorespond', withHeaders({ key: 'x-autorespond', value: 'Vacation' }), 'X-Autorespond'],
    ['List-Unsubscribe', withHeaders({ key: 'list-unsubscribe', value: '<mailto:unsub@news.example.com>' }), 'List-Unsubscribe'],
    ['List-Id', withHeaders({ key: 'list-id', value: 'Traders <traders.lists.example.com>' }), 'List-Id'],
    ['Mailing-List (ezmlm)', withHeaders({ key: 'mailing-list', value: 'contact help@example.org; run by ezmlm' }), 'Mailing-List'],
    ['noreply', { from: { address: 'noreply@exchange.example', name: '' } }, 'From noreply'],
    ['no-reply', { from: { address: 'No-Reply@sns.amazonaws.com', name: 'AWS' } }, 'From no-reply'],
    ['no_reply', { from: { address: 'no_reply@example.com', name: '' } }, 'From no_reply'],
    ['do-not-reply', { from: { address: 'do-not-reply@example.com', name: '' } }, 'From do-not-reply'],
    ['donotreply', { from: { address: 'donotreply@example.com', name: '' } }, 'From donotreply'],
    ['a suffixed noreply', { from: { address: 'noreply-billing@example.com', name: '' } }, 'From noreply-billing'],
    ['our own address: a loop', { from: { address: 'support@concierge.test', name: 'Concierge' } }, 'From own address (loop)'],
    ['our own plus-addressed address', { from: { address: 'Support+T-1234.abcd@Concierge.test', name: '' } }, 'From own address (loop)'],
    ['an out-of-office subject', { subject: 'Automatic reply: Withdrawal pending' }, 'Subject: Automatic reply:'],
    ['an Out of Office subject', { subject: 'Out of Office: Withdrawal pending' }, 'Subject: Out of Office:'],
    ['a Chinese auto-reply subject', { subject: '自动回复: 提现问题' }, 'Subject: 自动回复:'],
  ])('auto-reply: %s', (_name, overrides, reason) => {
    // Prepare
    const input = personInput(overrides);

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual({ kind: 'auto-reply', reason });
  });

  it.each<[string, Partial<ClassifyInput>]>([
    ['Auto-Submitted: no', withHeaders({ key: 'auto-submitted', value: 'no' })],
    ['Auto-Submitted: No (manual)', withHeaders({ key: 'auto-submitted', value: 'No (manual)' })],
    ['Precedence: first-class', withHeaders({ key: 'precedence', value: 'first-class' })],
    ['X-Auto-Response-Suppress: All (a request, not a sign)', withHeaders({ key: 'x-auto-response-suppress', value: 'All' })],
    ['a reply about a bounce', { subject: 'Re: Undeliverable: Withdrawal pending' }],
    ['an "auto reply" subject without the colon', { subject: 'Auto reply settings are broken' }],
    ['an address that merely contains noreply', { from: { address: 'knoreplyguy@example.com', name: '' } }],
    ['another address at our domain', { from: { address: 'alice@concierge.test', name: '' } }],
    ['a postmaster mentioned in the display name only', { from: { address: 'alice@example.com', name: 'postmaster' } }],
  ])('person: %s', (_name, overrides) => {
    // Prepare
    const input = personInput(overrides);

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual({ kind: 'person', reason: 'no automatic-mail sign' });
  });
});

describe('classifyMail on a forwarded bounce', () => {
  it.each<[string, string]>([
    ['Fwd: Undeliverable: my withdrawal request', 'Fwd: Undeliverable'],
    ['FW: Returned mail: see transcript for details', 'FW: Returned mail'],
    ['Fw: Fwd: Mail delivery failed: returning message to sender', 'Fw: Fwd: Mail delivery failed'],
    ['转发：Undeliverable: 提现申请', '转发：Undeliverable'],
    ['WG: Delivery Status Notification (Failure)', 'WG: Delivery Status Notification'],
  ])('"%s" from a person is a person asking for help, and says so', (subject, quotedSubject) => {
    // Prepare
    const input = personInput({ subject });

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual({ kind: 'person', reason: `forwarded by a person: Subject: ${quotedSubject}` });
  });

  it.each<[string, Partial<ClassifyInput>, Classification]>([
    ['a multipart/report at the top', { contentType: 'multipart/report' }, { kind: 'bounce', reason: 'Content-Type: multipart/report' }],
    ['a null envelope sender', { envelopeSender: '' }, { kind: 'bounce', reason: 'null envelope sender' }],
    ['From MAILER-DAEMON', { from: { address: 'mailer-daemon@mx.example.net', name: '' } }, { kind: 'bounce', reason: 'From mailer-daemon' }],
    ['Auto-Submitted: auto-replied', withHeaders({ key: 'auto-submitted', value: 'auto-replied' }), { kind: 'auto-reply', reason: 'Auto-Submitted: auto-replied' }],
    ['Auto-Submitted: auto-generated (an Exchange forwarding rule)', withHeaders({ key: 'auto-submitted', value: 'auto-generated' }), { kind: 'auto-reply', reason: 'Auto-Submitted: auto-generated' }],
    ['X-Failed-Recipients', withHeaders({ key: 'x-failed-recipients', value: 'bob@example.org' }), { kind: 'bounce', reason: 'X-Failed-Recipients' }],
    ['Precedence: bulk', withHeaders({ key: 'precedence', value: 'bulk' }), { kind: 'auto-reply', reason: 'Precedence: bulk' }],
    ['a no-reply From', { from: { address: 'noreply@exchange.example', name: '' } }, { kind: 'auto-reply', reason: 'From noreply' }],
    ['our own From (a loop)', { from: { address: 'support@concierge.test', name: '' } }, { kind: 'auto-reply', reason: 'From own address (loop)' }],
  ])('a "Fwd:" subject does not make machine mail a person: %s', (_name, overrides, expected) => {
    // Prepare
    const input = personInput({ subject: 'Fwd: Undeliverable: my withdrawal request', ...overrides });

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual(expected);
  });

  it.each<[string, string]>([
    ['a bounce subject without a prefix', 'Undeliverable: my withdrawal request'],
    ['a bounce that quotes a forwarded subject', 'Undeliverable: Fwd: my withdrawal request'],
  ])('stays a bounce: %s', (_name, subject) => {
    // Prepare
    const input = personInput({ subject });

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual({ kind: 'bounce', reason: 'Subject: Undeliverable' });
  });
});

describe('classifyMail on hostile header values', () => {
  const autoSubmitted = (value: string): ClassifyInput => personInput(withHeaders({ key: 'auto-submitted', value }));

  it('reads nested comments in one pass: 100,000 levels deep in a 200 KB Auto-Submitted', () => {
    // Prepare: peeling one level per pass took about 30 s on this value.
    const depth = 100_000;
    const value = `${'('.repeat(depth)}${')'.repeat(depth)} no`;

    // Act
    const result = classifyMail(autoSubmitted(value));

    // Assess: only the first MAX_CLASSIFIED_HEADER_VALUE_CHARS are read; that prefix is an open comment, which
    // counts as automatic, exactly as the prefix alone does.
    expect(value.length).toBeGreaterThan(200_000);
    expect(result).toEqual(classifyMail(autoSubmitted(value.slice(0, MAX_CLASSIFIED_HEADER_VALUE_CHARS))));
    expect(result.kind).toBe('auto-reply');
  });

  it.each<[string, string, Classification]>([
    ['nested comments around `no`', '((a) (b (c))) no (x (y))', { kind: 'person', reason: 'no automatic-mail sign' }],
    ['nested comments around auto-replied', '(x (y)) auto-replied ((z))', { kind: 'auto-reply', reason: 'Auto-Submitted: auto-replied' }],
    ['a comment never closed after `no`', 'no (manual', { kind: 'auto-reply', reason: 'Auto-Submitted: no (manual' }],
    ['a stray closing parenthesis', 'no)', { kind: 'auto-reply', reason: 'Auto-Submitted: no)' }],
  ])('strips comments as RFC 5322 nests them: %s', (_name, value, expected) => {
    // Act
    const result = classifyMail(autoSubmitted(value));

    // Assess
    expect(result).toEqual(expected);
  });

  it('quotes at most 64 characters of a header keyword in its reason', () => {
    // Prepare
    const value = `auto-${'x'.repeat(10_000)}`;

    // Act
    const result = classifyMail(autoSubmitted(value));

    // Assess
    expect(result.kind).toBe('auto-reply');
    expect(result.reason).toBe(`Auto-Submitted: auto-${'x'.repeat(59)}…`);
  });

  it('reads only the first MAX_CLASSIFIED_SUBJECT_CHARS of a 200 KB subject', () => {
    // Prepare
    const subject = `Fwd: ${' '.repeat(200_000)}Undeliverable`;

    // Act
    const result = classifyMail(personInput({ subject }));

    // Assess
    expect(result).toEqual(classifyMail(personInput({ subject: subject.slice(0, MAX_CLASSIFIED_SUBJECT_CHARS) })));
    expect(result).toEqual({ kind: 'person', reason: 'no automatic-mail sign' });
  });

  it('reads 50,000 header lines in one pass', () => {
    // Prepare
    const filler: HeaderLine[] = Array.from({ length: 50_000 }, (_, n) => ({ key: `x-filler-${n}`, value: 'x' }));
    const input = personInput({ headers: [...filler, { key: 'precedence', value: 'bulk' }] });

    // Act
    const result = classifyMail(input);

    // Assess
    expect(result).toEqual({ kind: 'auto-reply', reason: 'Precedence: bulk' });
  });
});

describe('suppressesAutoResponse', () => {
  it.each<[string, boolean]>([
    ['All', true],
    ['OOF, AutoReply', true],
    ['DR, NDR, RN, NRN', true],
    ['None', false],
    ['', false],
  ])('X-Auto-Response-Suppress: %s → %s', (value, expected) => {
    // Prepare
    const headers: HeaderLine[] = [{ key: 'x-auto-response-suppress', value }];

    // Act
    const suppressed = suppressesAutoResponse(headers);

    // Assess
    expect(suppressed).toBe(expected);
  });

  it('is false without the header', () => {
    // Prepare
    const headers = personInput().headers;

    // Act
    const suppressed = suppressesAutoResponse(headers);

    // Assess
    expect(suppressed).toBe(false);
  });
});
