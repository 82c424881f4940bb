/**
 * How far SES's verdicts vouch for the address in From: the one trust decision that acknowledgements,
 * threading, the VIP lane and staff replies share.
 *
 * SPF proves the envelope (MAIL FROM) domain and DKIM the signing domain (`d=`); neither says anything about
 * the From address unless its domain is aligned with the From domain, which is what DMARC checks. A domain
 * that publishes no DMARC record gets DMARC GRAY, so SPF or DKIM PASS alone would let anyone with a domain of
 * their own borrow such an address. Alignment is relaxed, as DMARC defines it (RFC 7489 §3.1): the two
 * domains share an organizational domain (the registrable domain under the Public Suffix List).
 */
import { getDomain } from 'tldts';
import type { Verdicts } from './types';

/**
 * - `aligned`: DMARC passed, or SPF or DKIM passed for a domain aligned with the From domain: the From
 *   address is proven.
 * - `unaligned`: nothing failed, and SPF or DKIM passed, but only for some other domain.
 * - `unknown`: no verdict either way.
 * - `failed`: DMARC failed, or SPF and DKIM both failed.
 */
export type SenderTrust = 'aligned' | 'unaligned' | 'unknown' | 'failed';

export interface AuthenticationEvidence {
  verdicts: Verdicts;
  /** Domain of the From address, when there is one. */
  fromDomain?: string;
  /** Domain SPF evaluated: the envelope sender's (MAIL FROM); undefined for a null sender. */
  envelopeDomain?: string;
  /** Signing domains of the DKIM signatures SES found valid (from SES's own Authentication-Results). */
  dkimPassDomains: readonly string[];
  /** The From domain SES evaluated DMARC for (`header.from=` in its own Authentication-Results), when it says. */
  dmarcHeaderFrom?: string;
  /** More than one From field or mailbox (see InboundMail.fromAmbiguous): never proven. */
  fromAmbiguous?: boolean;
}

/** Domain names are at most 253 characters; anything longer is no domain and aligns with nothing. */
const MAX_DOMAIN_LENGTH = 253;

/** The registrable domain of `domain` (`mail.example.co.uk` → `example.co.uk`), or undefined when none. */
export function organizationalDomain(domain: string): string | undefined {
  const normalised = domain.trim().toLowerCase().replace(/\.$/, '');
  if (normalised === '' || normalised.length > MAX_DOMAIN_LENGTH) return undefined;
  return getDomain(normalised, { allowPrivateDomains: true }) ?? undefined;
}

/** Relaxed DMARC alignment: both domains have the same organizational domain. */
export function isAligned(authenticatedDomain: string | undefined, fromDomain: string | undefined): boolean {
  if (!authenticatedDomain || !fromDomain) return false;
  const left = organizationalDomain(authenticatedDomain);
  return left !== undefined && left === organizationalDomain(fromDomain);
}

/** How far the evidence vouches for the From address (see SenderTrust). */
export function senderTrust(evidence: AuthenticationEvidence): SenderTrust {
  const { verdicts, fromDomain } = evidence;
  if (verdicts.dmarc === 'FAIL' || (verdicts.spf === 'FAIL' && verdicts.dkim === 'FAIL')) return 'failed';
  const anyPass = verdicts.dmarc === 'PASS' || verdicts.spf === 'PASS' || verdicts.dkim === 'PASS';
  // Without a From domain there is nothing DMARC or alignment could vouch for.
  if (evidence.fromAmbiguous || !fromDomain) return anyPass ? 'unaligned' : 'unknown';
  // DMARC vouches for the From domain SES read; a pass for another domain (a parser disagreement) is none.
  const dmarcForThisFrom = evidence.dmarcHeaderFrom === undefined || evidence.dmarcHeaderFrom === fromDomain?.toLowerCase();
  if (verdicts.dmarc === 'PASS' && dmarcForThisFrom) return 'aligned';
  const spfAligned = verdicts.spf === 'PASS' && isAligned(evidence.envelopeDomain, fromDomain);
  const dkimAligned = verdicts.dkim === 'PASS' && evidence.dkimPassDomains.some((domain) => isAligned(domain, fromDomain));
  if (spfAligned || dkimAligned) return 'aligned';
  if (anyPass) return 'unaligned';
  return 'unknown';
}

/** Domain part of an address, lower-cased; undefined for an empty or domainless address. */
export function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  if (at === -1 || at === address.length - 1) return undefined;
  return address.slice(at + 1).toLowerCase();
}

/**
 * An acknowledgement is official mail from the desk to the From address. It goes only where the content
 * passed both scans and the From address is proven: otherwise a stranger could make the desk send official
 * mail, repeating their subject, to anyone.
 */
export function mayAcknowledge(verdicts: Verdicts, trust: SenderTrust): boolean {
  return verdicts.spam === 'PASS' && verdicts.virus === 'PASS' && trust === 'aligned';
}
