/**
 * The local SMTP receiver as a mail server meets it: over SMTP, with the envelope and the From chosen by the
 * sender. What it stores and the event it hands on must tell the same story SES would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SesReceiptEvent } from '../../functions/inbound/ses-event';
import { headerBlockOf, readSesStampedVerdicts } from '../../functions/mail/ses-verdicts';
import { sendRawMessage } from '../../scripts/cli/smtp-send';
import { startSmtpReceiver, type SmtpReceiver } from '../../scripts/local/smtp-receiver';
import { composeMessage } from '../helpers/local-stack';

let receiver: SmtpReceiver;
const stored = new Map<string, Buffer>();
const events: SesReceiptEvent[] = [];

beforeAll(async () => {
  receiver = await startSmtpReceiver({
    port: 0,
    region: 'us-east-1',
    acceptRecipients: (address) => address === 'support@concierge.test',
    verdicts: { failAuthDomains: ['forged.test'], noDmarcDomains: ['bank.test'], spamDomains: [], virusDomains: [] },
    storeRaw: async (sesMessageId, raw) => void stored.set(sesMessageId, raw),
    deliver: (event) => void events.push(event),
  });
});

afterAll(async () => {
  await receiver?.stop();
});

async function send(envelopeFrom: string, headerFrom: string) {
  const raw = Buffer.from(composeMessage({ from: headerFrom, subject: 'Verify your account', text: 'Click here.' }));
  await sendRawMessage({ host: '127.0.0.1', port: receiver.port, raw, to: ['support@concierge.test'], from: envelopeFrom });
  const event = events.at(-1)!;
  const record = event.Records[0]!.ses;
  return { record, stamped: stored.get(record.mail.messageId)!.toString('utf8') };
}

describe('the local SMTP receiver', () => {
  it('reproduces the borrowed-From attack: SPF and DKIM pass for the envelope domain, DMARC GRAY for a From without a record', async () => {
    // Act
    const { record, stamped } = await send('a@evil.test', 'Bank Support <support@bank.test>');

    // Assess
    expect(record.mail.source).toBe('a@evil.test');
    expect(record.receipt).toMatchObject({ spfVerdict: { status: 'PASS' }, dkimVerdict: { status: 'PASS' }, dmarcVerdict: { status: 'GRAY' } });
    expect(record.receipt.dmarcPolicy).toBeUndefined();
    const header = headerBlockOf(stamped).match(/^Authentication-Results: amazonses\.com;(?:\r\n[ \t].*)*/m)?.[0] ?? '';
    expect(header).toMatch(/ spf=pass \(spfCheck: domain of evil\.test designates 127\.0\.0\.1 as permitted sender\) client-ip=127\.0\.0\.1; envelope-from=a@evil\.test; helo=[^;]+;/);
    expect(header).toContain(' dkim=pass header.i=@evil.test;');
    expect(header).toContain(' dmarc=none header.from=bank.test;');
  });

  it('fails DMARC, with its policy, when the From domain publishes a record the envelope is not aligned with', async () => {
    const { record } = await send('a@evil.test', 'support@exchange.example');
    expect(record.receipt).toMatchObject({ spfVerdict: { status: 'PASS' }, dkimVerdict: { status: 'PASS' }, dmarcVerdict: { status: 'FAIL' }, dmarcPolicy: 'reject' });
  });

  it('stamps headers whose verdicts agree with the event, for every kind of sender', async () => {
    for (const [envelopeFrom, headerFrom] of [
      ['a@evil.test', 'support@bank.test'],
      ['a@evil.test', 'ceo@exchange.example'],
      ['mallory@forged.test', 'mallory@forged.test'],
      ['bounces@mail.customer.example', 'alice@customer.example'],
    ] as const) {
      // Act
      const { record, stamped } = await send(envelopeFrom, headerFrom);

      // Assess
      const { receipt } = record;
      expect(readSesStampedVerdicts(headerBlockOf(stamped))).toEqual({
        spf: receipt.spfVerdict?.status,
        dkim: receipt.dkimVerdict?.status,
        dmarc: receipt.dmarcVerdict?.status,
        spam: receipt.spamVerdict?.status,
        virus: receipt.virusVerdict?.status,
        ...(receipt.dmarcPolicy ? { dmarcPolicy: receipt.dmarcPolicy } : {}),
      });
    }
  });
});
