/**
 * The steps after parsing, run on what the parser makes of hostile 200 KB header values: each reads a capped
 * prefix, so the answers equal those for the capped values (the uncapped steps took 10–60 s on these).
 */
import { describe, expect, it } from 'vitest';
import { classifyMail, MAX_CLASSIFIED_HEADER_VALUE_CHARS } from '../../functions/mail/classify';
import { detectLanguage, MAX_LANGUAGE_SUBJECT_CHARS } from '../../functions/mail/language';
import { parseInboundMail } from '../../functions/mail/parse';
import type { InboundMail } from '../../functions/mail/types';
import { extractVisibleText } from '../../functions/mail/visible-text';
import { priorityFor } from '../../functions/tickets/priority';
import { subjectTokenOf } from '../../functions/tickets/references';

function rawMessage(headers: string[], body: string): Buffer {
  return Buffer.from([...headers, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

function classify(mail: InboundMail) {
  return classifyMail({
    headers: mail.headers,
    ...(mail.from ? { from: mail.from } : {}),
    envelopeSender: 'dana@customer.example',
    contentType: mail.contentType,
    subject: mail.subject,
    ownAddresses: ['support@concierge.test'],
    verdicts: { spam: 'PASS', virus: 'PASS' },
  });
}

describe('steps after parsing on a message with hostile headers', () => {
  it('a 200 KB Auto-Submitted of nested comments is read up to its cap and counts as automatic', async () => {
    // Prepare
    const depth = 100_000;
    const mail = await parseInboundMail(
      rawMessage(
        ['From: Dana <dana@customer.example>', 'To: support@concierge.test', 'Subject: Withdrawal pending', `Auto-Submitted: ${'('.repeat(depth)}${')'.repeat(depth)} no`],
        'Hello',
      ),
    );
    const value = mail.headers.find((header) => header.key === 'auto-submitted')?.value ?? '';

    // Act
    const result = classify(mail);

    // Assess
    expect(value.length).toBeGreaterThan(MAX_CLASSIFIED_HEADER_VALUE_CHARS * 100);
    expect(result.kind).toBe('auto-reply');
  });

  it('a 200 KB Subject with no spaces is read up to each step\'s cap', async () => {
    // Prepare
    const mail = await parseInboundMail(
      rawMessage(['From: Dana <dana@customer.example>', 'To: support@concierge.test', `Subject: 提现${'a'.repeat(200_000)}`], ''),
    );

    // Act
    const visible = extractVisibleText({ ...(mail.text ? { text: mail.text } : {}) });
    const language = detectLanguage(visible, mail.subject);
    const outcome = { kind: classify(mail).kind, language, priority: priorityFor(mail.subject, visible), token: subjectTokenOf(mail.subject) };

    // Assess
    expect(mail.subject.length).toBeGreaterThan(200_000);
    expect(language).toBe(detectLanguage(visible, mail.subject.slice(0, MAX_LANGUAGE_SUBJECT_CHARS)));
    expect(outcome).toEqual({ kind: 'person', language: 'zh', priority: 'normal', token: undefined });
  });
});
