import { describe, expect, it } from 'vitest';
import { headerBlockOf, readSesStampedVerdicts } from '../../functions/mail/ses-verdicts';
import { authenticationHeaders, localVerdicts, organizationalDomain } from '../../scripts/local/receiving-verdicts';
import { verdictRulesFromEnv } from '../../scripts/local/stack';

const rules = { failAuthDomains: ['forged.test'], noDmarcDomains: ['bank.test'], spamDomains: ['spam.test'], virusDomains: ['virus.test'] };
const helo = 'mx.sender.test';

describe('local SES verdicts', () => {
  it('reads the LOCAL_* domain lists as comma-separated domains', () => {
    // Act
    const read = verdictRulesFromEnv({
      LOCAL_FAIL_AUTH_DOMAINS: ' Forged.test , other.test',
      LOCAL_NO_DMARC_DOMAINS: 'bank.test',
      LOCAL_SPAM_DOMAINS: 'spam.test',
      LOCAL_VIRUS_DOMAINS: '',
    });

    // Assess
    expect(read).toEqual({ failAuthDomains: ['forged.test', 'other.test'], noDmarcDomains: ['bank.test'], spamDomains: ['spam.test'], virusDomains: [] });
  });

  it('passes mail whose envelope and From share a domain, and fails exactly what a list names', () => {
    const same = (address: string) => localVerdicts(rules, { envelopeFrom: address, headerFrom: address, heloName: helo });
    expect(same('alice@customer.example')).toMatchObject({ spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' });
    expect(same('alice@customer.example').dmarcPolicy).toBeUndefined();
    expect(same('mallory@forged.test')).toMatchObject({ spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'reject' });
    expect(same('x@spam.test').spam).toBe('FAIL');
    expect(same('x@virus.test').virus).toBe('FAIL');
  });

  it('authenticates the envelope domain, not the From: an attacker’s domain with a bank’s From', () => {
    // Act
    const noDmarcRecord = localVerdicts(rules, { envelopeFrom: 'a@evil.test', headerFrom: 'support@bank.test', heloName: helo });
    const publishesDmarc = localVerdicts(rules, { envelopeFrom: 'a@evil.test', headerFrom: 'ceo@exchange.example', heloName: helo });

    // Assess
    expect(noDmarcRecord).toEqual({ spf: 'PASS', dkim: 'PASS', dmarc: 'GRAY', spam: 'PASS', virus: 'PASS', spfDomain: 'evil.test', dkimDomain: 'evil.test', fromDomain: 'bank.test' });
    expect(publishesDmarc).toMatchObject({ spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL', dmarcPolicy: 'reject', fromDomain: 'exchange.example' });
  });

  it('aligns relaxed: a subdomain of the From’s organizational domain passes DMARC', () => {
    expect(localVerdicts(rules, { envelopeFrom: 'bounce@mail.customer.example', headerFrom: 'alice@customer.example', heloName: helo }).dmarc).toBe('PASS');
    expect(localVerdicts(rules, { envelopeFrom: 'bounce@mail.shop.co.uk', headerFrom: 'alice@shop.co.uk', heloName: helo }).dmarc).toBe('PASS');
    expect(localVerdicts(rules, { envelopeFrom: 'bounce@other.co.uk', headerFrom: 'alice@shop.co.uk', heloName: helo }).dmarc).toBe('FAIL');
    expect(organizationalDomain('a.b.mail.example.com.cn')).toBe('example.com.cn');
  });

  it('evaluates SPF for postmaster@<HELO> when the envelope sender is null', () => {
    const bounce = localVerdicts(rules, { envelopeFrom: '', headerFrom: 'mailer-daemon@mx.sender.test', heloName: helo });
    expect(bounce).toMatchObject({ spfDomain: 'mx.sender.test', dkimDomain: 'mx.sender.test', dmarc: 'PASS' });
    expect(authenticationHeaders(bounce, { envelopeFrom: '', clientIp: '127.0.0.1', heloName: helo })[0]).toContain('envelope-from=postmaster@mx.sender.test;');
  });

  it('stamps the Authentication-Results SES writes, and reading them back gives the same verdicts', () => {
    const cases = [
      { envelopeFrom: 'a@evil.test', headerFrom: 'support@bank.test' },
      { envelopeFrom: 'a@evil.test', headerFrom: 'ceo@exchange.example' },
      { envelopeFrom: 'mallory@forged.test', headerFrom: 'mallory@forged.test' },
      { envelopeFrom: 'alice@customer.example', headerFrom: 'alice@customer.example' },
    ];
    for (const message of cases) {
      // Act
      const verdicts = localVerdicts(rules, { ...message, heloName: helo });
      const headers = authenticationHeaders(verdicts, { envelopeFrom: message.envelopeFrom, clientIp: '127.0.0.1', heloName: helo });
      const block = ['Return-Path: <x@y>', 'X-SES-Spam-Verdict: PASS', 'X-SES-Virus-Verdict: PASS', ...headers, 'X-SES-RECEIPT: abc', 'From: x', '', 'body'].join('\r\n');

      // Assess
      const { spf, dkim, dmarc, dmarcPolicy } = verdicts;
      expect(readSesStampedVerdicts(headerBlockOf(block))).toEqual({ spf, dkim, dmarc, spam: 'PASS', virus: 'PASS', ...(dmarcPolicy ? { dmarcPolicy } : {}) });
    }
    const attack = localVerdicts(rules, { envelopeFrom: 'a@evil.test', headerFrom: 'support@bank.test', heloName: helo });
    expect(authenticationHeaders(attack, { envelopeFrom: 'a@evil.test', clientIp: '127.0.0.1', heloName: helo }).join('\r\n')).toBe(
      [
        `Received-SPF: pass (spfCheck: domain of evil.test designates 127.0.0.1 as permitted sender) client-ip=127.0.0.1; envelope-from=a@evil.test; helo=${helo};`,
        'Authentication-Results: amazonses.com;',
        ` spf=pass (spfCheck: domain of evil.test designates 127.0.0.1 as permitted sender) client-ip=127.0.0.1; envelope-from=a@evil.test; helo=${helo};`,
        ' dkim=pass header.i=@evil.test;',
        ' dmarc=none header.from=bank.test;',
      ].join('\r\n'),
    );
  });
});
