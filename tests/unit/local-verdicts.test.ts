import { describe, expect, it } from 'vitest';
import { localVerdicts } from '../../scripts/local/smtp-receiver';
import { verdictRulesFromEnv } from '../../scripts/local/stack';

describe('local SES verdicts', () => {
  it('reads LOCAL_FAIL_AUTH_DOMAINS, LOCAL_SPAM_DOMAINS and LOCAL_VIRUS_DOMAINS as comma-separated domains', () => {
    // Act
    const rules = verdictRulesFromEnv({ LOCAL_FAIL_AUTH_DOMAINS: ' Forged.test , other.test', LOCAL_SPAM_DOMAINS: 'spam.test', LOCAL_VIRUS_DOMAINS: '' });

    // Assess
    expect(rules).toEqual({ failAuthDomains: ['forged.test', 'other.test'], spamDomains: ['spam.test'], virusDomains: [] });
  });

  it('passes everything else, and fails exactly what a list names', () => {
    const rules = { failAuthDomains: ['forged.test'], spamDomains: ['spam.test'], virusDomains: ['virus.test'] };
    expect(localVerdicts(rules, ['customer.example'])).toEqual({ spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' });
    expect(localVerdicts(rules, ['forged.test'])).toEqual({ spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL', spam: 'PASS', virus: 'PASS', dmarcPolicy: 'reject' });
    expect(localVerdicts(rules, ['spam.test']).spam).toBe('FAIL');
    expect(localVerdicts(rules, ['virus.test']).virus).toBe('FAIL');
  });
});
