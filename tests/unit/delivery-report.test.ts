import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeliveryReport } from '../../functions/mail/delivery-report';
import { parseInboundMail } from '../../functions/mail/parse';
import { CORPUS_ROOT, listCorpusFiles } from '../helpers/corpus';

const SISIMAI = join(CORPUS_ROOT, 'bounces/sisimai');
const parsed = (name: string) => parseInboundMail(readFileSync(join(SISIMAI, name)));

describe('delivery status reports (RFC 3464)', () => {
  it('reads a hard failure: recipient, status, diagnostic, and the returned message’s Message-ID', async () => {
    // Act
    const report = readDeliveryReport(await parsed('bsd/lhost-sendmail-01.eml'));

    // Assess
    expect(report).toEqual({
      recipients: [{ email: 'userunknown@bouncehammer.jp', action: 'failed', status: '5.1.1', diagnosticCode: 'SMTP; 550 5.1.1 <userunknown@bouncehammer.jp>... User Unknown', hard: true }],
      originalMessageId: '<E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org>',
    });
  });

  it('reads the id SES gave the bounced mail from a bounce of mail SES sent', async () => {
    const report = readDeliveryReport(await parsed('bsd/lhost-amazonses-01.eml'));
    expect(report).toMatchObject({ recipients: [{ email: 'shironeko@example.co.jp', status: '5.0.0', hard: true }], originalMessageId: '<000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email.amazonses.com>' });
  });

  it('unfolds a diagnostic over several lines (the message as SES receiving stored it)', async () => {
    const report = readDeliveryReport(await parsed('bsd/lhost-postfix-30.eml'));
    expect(report?.recipients).toEqual([{ email: 'kijitora@example.br', action: 'failed', status: '5.4.1', diagnosticCode: 'smtp; 550 5.4.1 <kijitora@example.br>: Recipient address rejected: Access denied [BL2NAM02FT061.eop-nam02.prod.protection.outlook.com]', hard: true }]);
  });

  it('takes a delay (4.x.x, Action: delayed) as soft', async () => {
    expect((await parsed('bsd/rfc3464-07.eml')).contentType).toBe('multipart/report');
    expect(readDeliveryReport(await parsed('bsd/rfc3464-07.eml'))?.recipients).toEqual([{ email: 'kijitora@example.net', action: 'delayed', status: '4.4.0', hard: false }]);
  });

  it('takes a final failure with a temporary status (4.4.7, gave up) as soft', async () => {
    expect(readDeliveryReport(await parsed('bsd/lhost-sendmail-08.eml'))?.recipients.every((recipient) => !recipient.hard && recipient.status.startsWith('4.'))).toBe(true);
  });

  it('finds no report in mail that is not one: a bounce forwarded by hand, and the corpus’s non-bounces', async () => {
    for (const name of ['bsd/lhost-sendmail-14.eml', 'not/is-not-bounce-01.eml', 'not/is-not-bounce-02.eml', 'not/rb-issue-368-bug.eml']) {
      expect(readDeliveryReport(await parsed(name)), name).toBeUndefined();
    }
  });

  it('over every bounce of the corpus: never throws, hard exactly when failed with a 5.x.x status, and reads most reports', async () => {
    // Prepare
    const files = listCorpusFiles(join(SISIMAI, 'bsd'));
    let reportsByType = 0;
    let read = 0;

    // Act
    for (const file of files) {
      const mail = await parseInboundMail(readFileSync(file));
      const report = readDeliveryReport(mail);
      if (mail.contentType === 'multipart/report') reportsByType += 1;
      if (!report) continue;
      read += 1;
      // Assess
      for (const recipient of report.recipients) {
        expect(recipient.hard, file).toBe(recipient.action === 'failed' && recipient.status.startsWith('5.'));
        expect(recipient.email, file).toMatch(/^[^\s@]+@[^\s@]+$/);
      }
    }
    expect(read).toBeGreaterThan(reportsByType * 0.8);
  });
});
