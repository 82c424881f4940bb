import { describe, expect, it } from 'vitest';
import { readSesAuthenticatedDomains, readSesDkimPassDomains, readSesStampedVerdicts } from '../../functions/mail/ses-verdicts';
import { isAligned, mayAcknowledge, organizationalDomain, senderTrust, type AuthenticationEvidence } from '../../functions/mail/trust';
import type { Verdicts } from '../../functions/mail/types';

const pass: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
const noDmarc: Verdicts = { ...pass, dmarc: 'GRAY' };

function evidence(overrides: Partial<AuthenticationEvidence>): AuthenticationEvidence {
  return { verdicts: pass, fromDomain: 'bank.example', envelopeDomain: 'bank.example', dkimPassDomains: ['bank.example'], ...overrides };
}

describe('organizational domains and relaxed alignment', () => {
  it('compares registrable domains under the Public Suffix List', () => {
    expect(organizationalDomain('mail.eu.example.co.uk')).toBe('example.co.uk');
    expect(isAligned('bounces.example.com', 'example.com')).toBe(true);
    expect(isAligned('example.com', 'support.example.com')).toBe(true);
    // Two customers of one public suffix are strangers to each other, private suffixes included.
    expect(isAligned('evil.co.uk', 'bank.co.uk')).toBe(false);
    expect(isAligned('evil.github.io', 'bank.github.io')).toBe(false);
    expect(isAligned('example.com', 'example.com.evil.test')).toBe(false);
    expect(isAligned(undefined, 'example.com')).toBe(false);
    expect(isAligned('x'.repeat(300), 'x'.repeat(300))).toBe(false);
  });
});

describe('sender trust', () => {
  it.each<[string, Partial<AuthenticationEvidence>, string]>([
    ['DMARC pass', {}, 'aligned'],
    ['DMARC fail', { verdicts: { ...pass, dmarc: 'FAIL' } }, 'failed'],
    ['SPF and DKIM both fail', { verdicts: { ...noDmarc, spf: 'FAIL', dkim: 'FAIL' } }, 'failed'],
    ['no DMARC record, SPF pass for a subdomain of the From domain', { verdicts: { ...noDmarc, dkim: 'GRAY' }, envelopeDomain: 'bounce.bank.example', dkimPassDomains: [] }, 'aligned'],
    ['no DMARC record, DKIM pass signed by the From domain', { verdicts: { ...noDmarc, spf: 'GRAY' }, envelopeDomain: 'elsewhere.example' }, 'aligned'],
    ['no DMARC record, SPF and DKIM pass only for the attacker’s own domain', { verdicts: noDmarc, envelopeDomain: 'evil.example', dkimPassDomains: ['evil.example'] }, 'unaligned'],
    ['no DMARC record, DKIM pass for the From domain but the verdict is not a pass', { verdicts: { ...noDmarc, spf: 'GRAY', dkim: 'GRAY' }, envelopeDomain: 'evil.example' }, 'unknown'],
    ['null sender, no DMARC', { verdicts: { ...noDmarc, dkim: 'GRAY' }, envelopeDomain: undefined, dkimPassDomains: [] }, 'unaligned'],
    ['nothing known', { verdicts: { ...pass, spf: 'PROCESSING_FAILED', dkim: 'PROCESSING_FAILED', dmarc: 'PROCESSING_FAILED' } }, 'unknown'],
  ])('%s → %s', (_, overrides, expected) => {
    expect(senderTrust(evidence(overrides))).toBe(expected);
  });

  it('acknowledges only aligned mail that passed both scans', () => {
    expect(mayAcknowledge(pass, 'aligned')).toBe(true);
    expect(mayAcknowledge(pass, 'unaligned')).toBe(false);
    expect(mayAcknowledge(pass, 'unknown')).toBe(false);
    expect(mayAcknowledge(pass, 'failed')).toBe(false);
    expect(mayAcknowledge({ ...pass, spam: 'GRAY' }, 'aligned')).toBe(false);
    expect(mayAcknowledge({ ...pass, virus: 'DISABLED' }, 'aligned')).toBe(false);
  });
});

describe('DKIM signing domains from SES’s own Authentication-Results', () => {
  const block = (dkim: string) =>
    [
      'Return-Path: <a@evil.example>',
      'X-SES-Spam-Verdict: PASS',
      'X-SES-Virus-Verdict: PASS',
      'Authentication-Results: amazonses.com;',
      ' spf=pass (spfCheck: domain of evil.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=a@evil.example; helo=mx.evil.example;',
      ` ${dkim}`,
      ' dmarc=none header.from=bank.example;',
      'X-SES-RECEIPT: AEFBQUFB',
      'From: someone@bank.example',
    ].join('\r\n');

  it('reads header.i and header.d of passing signatures only', () => {
    expect(readSesDkimPassDomains(block('dkim=pass header.i=@Mail.Bank.Example;'))).toEqual(['mail.bank.example']);
    expect(readSesDkimPassDomains(block('dkim=pass header.d=bank.example header.s=sel1;'))).toEqual(['bank.example']);
    expect(readSesDkimPassDomains(block('dkim=fail header.i=@bank.example;'))).toEqual([]);
  });

  it('reads nothing when a dkim result hides inside text the sender controls', () => {
    const smuggled = block('dkim=pass header.i=@evil.example;').replace('helo=mx.evil.example;', 'helo="x dkim=pass header.i=@bank.example";');
    expect(readSesDkimPassDomains(smuggled)).toEqual([]);
  });

  it('reads nothing from headers below SES’s block', () => {
    const forged = ['From: someone@bank.example', 'Authentication-Results: amazonses.com; dkim=pass header.i=@bank.example;'].join('\r\n');
    expect(readSesDkimPassDomains(forged)).toEqual([]);
  });
});

describe('a hostile Authentication-Results on top', () => {
  it('is no header of SES’s when it is longer than SES ever writes one, and reading it costs no more than its cap', () => {
    // Prepare: 200 KB of results in the top block; every result used to re-split the rest of the value
    const value = ' spf=pass;'.repeat(20_000);
    const block = ['X-SES-Spam-Verdict: PASS', 'X-SES-Virus-Verdict: PASS', `Authentication-Results: amazonses.com;${value}`, 'X-SES-RECEIPT: AEFBQUFB'].join('\r\n');

    // Act
    const verdicts = readSesStampedVerdicts(block);

    // Assess: no verdict can be read from it, so nothing is trusted
    expect(verdicts).toMatchObject({ spf: 'PROCESSING_FAILED', dkim: 'PROCESSING_FAILED', dmarc: 'PROCESSING_FAILED' });
    expect(readSesDkimPassDomains(block)).toEqual([]);
  });
});

describe('parser disagreements and smuggled results never prove a From address', () => {
  it('an ambiguous From (two fields or two mailboxes) is never aligned, even with DMARC PASS', () => {
    expect(senderTrust(evidence({ fromAmbiguous: true }))).toBe('unaligned');
    expect(senderTrust(evidence({ fromAmbiguous: true, verdicts: { ...pass, spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' } }))).toBe('unknown');
  });

  it('a DMARC PASS SES evaluated for another From domain proves nothing about this one', () => {
    expect(senderTrust(evidence({ dmarcHeaderFrom: 'evil.example', envelopeDomain: 'evil.example', dkimPassDomains: ['evil.example'] }))).toBe('unaligned');
    expect(senderTrust(evidence({ dmarcHeaderFrom: 'bank.example' }))).toBe('aligned');
  });

  it('a dkim result smuggled in through the HELO name is not a signature', () => {
    const header = [
      'X-SES-Spam-Verdict: PASS',
      'X-SES-Virus-Verdict: PASS',
      'Authentication-Results: amazonses.com;',
      ' spf=pass (spfCheck: domain of evil.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=x@evil.example; helo=mx.evil.example;dkim=pass.header.d=bank.example;',
      ' dkim=pass header.i=@evil.example;',
      ' dmarc=none header.from=bank.example;',
      'X-SES-RECEIPT: AEFBQUFB',
    ].join('\r\n');
    expect(readSesAuthenticatedDomains(header)).toEqual({ dkimPassDomains: ['evil.example'], dmarcHeaderFrom: 'bank.example' });
    const { dkimPassDomains } = readSesAuthenticatedDomains(header);
    expect(senderTrust(evidence({ verdicts: noDmarc, envelopeDomain: 'evil.example', dkimPassDomains }))).toBe('unaligned');
  });
});

describe('a dmarc result smuggled in through the HELO name', () => {
  it('leaves no From domain DMARC could be said to have vouched for', () => {
    const header = [
      'X-SES-Spam-Verdict: PASS',
      'X-SES-Virus-Verdict: PASS',
      'Authentication-Results: amazonses.com;',
      ' spf=pass (spfCheck: domain of evil.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=x@evil.example; helo=x;dmarc=pass;',
      ' dkim=pass header.i=@evil.example;',
      ' dmarc=pass header.from=bank.example;',
      'X-SES-RECEIPT: AEFBQUFB',
    ].join('\r\n');
    const domains = readSesAuthenticatedDomains(header);
    expect(domains.dmarcHeaderFrom).toBe('');
    expect(senderTrust({ verdicts: pass, fromDomain: 'bank.example', envelopeDomain: 'evil.example', ...domains })).toBe('unaligned');
  });

  it('and mail with no From domain is never proven, whatever DMARC said', () => {
    expect(senderTrust({ verdicts: pass, envelopeDomain: 'bank.example', dkimPassDomains: ['bank.example'] })).toBe('unaligned');
  });
});
