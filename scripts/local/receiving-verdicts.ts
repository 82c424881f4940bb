/**
 * The verdicts the local SMTP receiver gives, computed the way SES receiving computes them for real mail:
 *
 * - SPF authenticates the envelope sender's domain (MAIL FROM; `postmaster@<HELO name>` for a null sender,
 *   RFC 7208 §2.4), never the From header.
 * - DKIM: every message is taken as signed by the envelope domain (`header.i=@<envelope domain>`), as a
 *   sender's own mail server would sign it.
 * - DMARC is about the From domain: GRAY (`dmarc=none`) when that domain publishes no DMARC record, PASS
 *   when SPF or DKIM passed for a domain aligned with it (same organizational domain, relaxed alignment),
 *   FAIL otherwise, with the policy the domain publishes.
 *
 * So mail with its envelope at one domain and its From at another (an attacker's own domain and a bank's
 * address) passes SPF and DKIM for the attacker and is not aligned with the From, as on AWS.
 */
import type { Verdict } from '../../functions/mail/types';

export interface LocalVerdictRules {
  /** Domains whose SPF and DKIM checks fail (no permitted sender, a broken signature). */
  failAuthDomains: string[];
  /** From domains that publish no DMARC record: DMARC is GRAY for them. */
  noDmarcDomains?: string[];
  spamDomains: string[];
  virusDomains: string[];
}

export interface LocalVerdicts {
  spf: Verdict;
  dkim: Verdict;
  dmarc: Verdict;
  spam: Verdict;
  virus: Verdict;
  /** Only on a DMARC failure, as in SES's event. */
  dmarcPolicy?: 'reject';
  /** The domain SPF was evaluated for: the envelope sender's. */
  spfDomain: string;
  /** The domain that signed the message (`header.i=@…`). */
  dkimDomain: string;
  /** The From header's domain, which DMARC is about. */
  fromDomain: string;
}

/** Two-label public suffixes common enough in mail to matter locally; everything else is one label. */
const MULTI_LABEL_SUFFIXES = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'com.cn', 'net.cn', 'org.cn', 'edu.cn', 'gov.cn', 'com.hk', 'com.tw',
  'com.sg', 'com.au', 'net.au', 'org.au', 'co.jp', 'ne.jp', 'or.jp', 'co.kr', 'co.nz', 'co.in', 'com.br', 'net.br',
]);

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '');
}

/** The registrable domain a relaxed DMARC alignment compares (`mail.bank.test` → `bank.test`). */
export function organizationalDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean);
  const suffixLabels = labels.length > 2 && MULTI_LABEL_SUFFIXES.has(labels.slice(-2).join('.')) ? 2 : 1;
  return labels.slice(-(suffixLabels + 1)).join('.');
}

export function alignedRelaxed(authenticated: string, fromDomain: string): boolean {
  return authenticated !== '' && organizationalDomain(authenticated) === organizationalDomain(fromDomain);
}

/**
 * Verdicts for one message. `envelopeFrom` is the MAIL FROM address ('' for a null sender), `headerFrom` the
 * From header's address when there is one.
 */
export function localVerdicts(rules: LocalVerdictRules, message: { envelopeFrom: string; headerFrom?: string; heloName: string }): LocalVerdicts {
  const listed = (list: readonly string[] | undefined, domain: string) => domain !== '' && (list ?? []).includes(domain);
  const spfDomain = message.envelopeFrom ? domainOf(message.envelopeFrom) : domainOf(message.heloName);
  const dkimDomain = spfDomain;
  const fromDomain = message.headerFrom ? domainOf(message.headerFrom) : spfDomain;

  const spf: Verdict = listed(rules.failAuthDomains, spfDomain) ? 'FAIL' : 'PASS';
  const dkim: Verdict = listed(rules.failAuthDomains, dkimDomain) ? 'FAIL' : 'PASS';
  const aligned = (spf === 'PASS' && alignedRelaxed(spfDomain, fromDomain)) || (dkim === 'PASS' && alignedRelaxed(dkimDomain, fromDomain));
  const dmarc: Verdict = listed(rules.noDmarcDomains, fromDomain) ? 'GRAY' : aligned ? 'PASS' : 'FAIL';
  const either = (list: readonly string[]) => listed(list, spfDomain) || listed(list, fromDomain);
  return {
    spf,
    dkim,
    dmarc,
    spam: either(rules.spamDomains) ? 'FAIL' : 'PASS',
    virus: either(rules.virusDomains) ? 'FAIL' : 'PASS',
    ...(dmarc === 'FAIL' ? { dmarcPolicy: 'reject' as const } : {}),
    spfDomain,
    dkimDomain,
    fromDomain,
  };
}

const AUTH_RESULT_WORD: Record<Verdict, string> = {
  PASS: 'pass',
  FAIL: 'fail',
  GRAY: 'none',
  PROCESSING_FAILED: 'temperror',
  DISABLED: 'none',
};

/**
 * `Received-SPF` and `Authentication-Results: amazonses.com` as SES writes them, agreeing with `verdicts`:
 *
 *   Authentication-Results: amazonses.com;
 *    spf=pass (spfCheck: domain of evil.test designates 127.0.0.1 as permitted sender) client-ip=127.0.0.1; envelope-from=a@evil.test; helo=mx.evil.test;
 *    dkim=pass header.i=@evil.test;
 *    dmarc=none header.from=bank.test;
 */
export function authenticationHeaders(verdicts: LocalVerdicts, session: { envelopeFrom: string; clientIp: string; heloName: string }): string[] {
  const envelopeFrom = session.envelopeFrom || `postmaster@${verdicts.spfDomain}`;
  const spfComment =
    verdicts.spf === 'PASS'
      ? `(spfCheck: domain of ${verdicts.spfDomain} designates ${session.clientIp} as permitted sender)`
      : `(spfCheck: domain of ${verdicts.spfDomain} does not designate ${session.clientIp} as permitted sender)`;
  const spf = `${AUTH_RESULT_WORD[verdicts.spf]} ${spfComment} client-ip=${session.clientIp}; envelope-from=${envelopeFrom}; helo=${session.heloName};`;
  const policy = verdicts.dmarcPolicy ? ` (p=${verdicts.dmarcPolicy.toUpperCase()} sp=${verdicts.dmarcPolicy.toUpperCase()} pct=100)` : '';
  return [
    `Received-SPF: ${spf}`,
    'Authentication-Results: amazonses.com;',
    ` spf=${spf}`,
    ` dkim=${AUTH_RESULT_WORD[verdicts.dkim]} header.i=@${verdicts.dkimDomain};`,
    ` dmarc=${AUTH_RESULT_WORD[verdicts.dmarc]}${policy} header.from=${verdicts.fromDomain};`,
  ];
}
