/**
 * Verdicts from the headers SES receiving stamps on top of a stored message.
 *
 * SES prepends, above everything the sender wrote, one block in this order (a real one:
 * corpus/bounces/sisimai/bsd/lhost-postfix-30.eml):
 *
 *   Return-Path, Received (by inbound-smtp.<region>.amazonaws.com), X-SES-Spam-Verdict, X-SES-Virus-Verdict,
 *   Received-SPF, Authentication-Results: amazonses.com; …, X-SES-RECEIPT, X-SES-DKIM-SIGNATURE
 *
 * A sender can write any of these headers into its own message; SES then stores them below its block. So only
 * the block is trusted, and the block is defined narrowly (see `sesStampedBlock`). The Lambda event's receipt is
 * the primary source of verdicts; this reader serves code that only has the stored message.
 */
import type { Verdict, Verdicts } from './types';

/** Header names SES stamps, lower-cased. SES writes each once, so a repeat belongs to the sender. */
export const SES_STAMPED_HEADERS: readonly string[] = [
  'return-path',
  'received',
  'x-ses-spam-verdict',
  'x-ses-virus-verdict',
  'received-spf',
  'authentication-results',
  'x-ses-receipt',
  'x-ses-dkim-signature',
];

/** SES writes X-SES-RECEIPT last, followed only by its own signature over it; a run without it is not SES's. */
export const SES_RECEIPT_HEADER = 'x-ses-receipt';
export const SES_SIGNATURE_HEADER = 'x-ses-dkim-signature';

/** The authserv-id SES writes in Authentication-Results. */
export const SES_AUTHSERV_ID = 'amazonses.com';

/** Enough for any real header block; bounds the work a hostile message can cause before parsing. */
export const HEADER_BLOCK_CAP_BYTES = 256 * 1024;

/**
 * What a verdict header or an absent one means:
 * - X-SES-Spam-Verdict / X-SES-Virus-Verdict carry the event's status word itself (PASS, FAIL, GRAY,
 *   PROCESSING_FAILED). Absent from a genuine block: scanning was off for the receipt rule → DISABLED.
 *   Any other word → PROCESSING_FAILED, since it is no verdict we can rely on.
 * - Authentication-Results method results (RFC 8601, RFC 7208, RFC 7489 words) map as below; SES's event uses
 *   GRAY for "nothing to check" (no SPF record, unsigned, no DMARC record) and PROCESSING_FAILED when it could not
 *   reach a verdict. A method absent from SES's header → GRAY: SES leaves out what it had nothing to evaluate
 *   (the real sample, an unsigned bounce, has `spf=` only). No SES Authentication-Results in the block at all
 *   → PROCESSING_FAILED for all three.
 */
export const AUTH_RESULT_VERDICTS: Readonly<Record<string, Verdict>> = {
  pass: 'PASS',
  fail: 'FAIL',
  softfail: 'FAIL',
  hardfail: 'FAIL',
  policy: 'FAIL',
  neutral: 'GRAY',
  none: 'GRAY',
  gray: 'GRAY',
  temperror: 'PROCESSING_FAILED',
  permerror: 'PROCESSING_FAILED',
  error: 'PROCESSING_FAILED',
};

const STATUS_WORDS: readonly Verdict[] = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED'];

/**
 * When one method reports several results, the worst counts. The sender controls text inside SES's header (its
 * HELO name and MAIL FROM appear in the spf part), so every `method=result` anywhere in the value is counted,
 * quoted or not: added text can then only make a verdict worse, never turn a fail into a pass, and an
 * unbalanced quote or parenthesis cannot hide SES's real result. DKIM is the exception: a message may carry
 * several signatures and one valid signature is a DKIM pass, so a pass stands when every dkim result sits in
 * a well-formed part of its own.
 */
const SEVERITY: Readonly<Record<Verdict, number>> = {
  PASS: 0,
  DISABLED: 1,
  GRAY: 2,
  PROCESSING_FAILED: 3,
  FAIL: 4,
};

/** Strictest last, so the strictest policy named wins. */
const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;
type DmarcPolicy = (typeof DMARC_POLICIES)[number];

type AuthMethod = 'spf' | 'dkim' | 'dmarc';

interface HeaderField {
  name: string;
  value: string;
}

/** The header section of a raw message: everything before the first empty line, at most HEADER_BLOCK_CAP_BYTES. */
export function headerBlockOf(raw: Buffer | string): string {
  if (typeof raw === 'string') {
    // A string's cap counts UTF-16 code units, which is at most the byte count of the same text.
    const capped = raw.slice(0, HEADER_BLOCK_CAP_BYTES);
    const end = firstEmptyLine(capped);
    return end < 0 ? capped : capped.slice(0, end);
  }
  const capped = raw.subarray(0, HEADER_BLOCK_CAP_BYTES);
  const end = firstEmptyLineInBytes(capped);
  return (end < 0 ? capped : capped.subarray(0, end)).toString('utf8');
}

/**
 * Verdicts from the SES block on top of `rawHeaderBlock`, or undefined when the message carries none.
 * `dmarcPolicy` is set only when DMARC failed and the header names the policy (`p=REJECT` and the like).
 */
export function readSesStampedVerdicts(rawHeaderBlock: string): Verdicts | undefined {
  const block = sesStampedBlock(parseHeaderFields(rawHeaderBlock));
  if (!block) return undefined;

  const first = (name: string): string | undefined => block.find((field) => field.name === name)?.value;
  const authResults = block
    .filter((field) => field.name === 'authentication-results')
    .map((field) => parseAuthenticationResults(field.value))
    .find((parsed) => parsed?.authservId === SES_AUTHSERV_ID);

  const verdicts: Verdicts = {
    spf: methodVerdict(authResults, 'spf'),
    dkim: methodVerdict(authResults, 'dkim'),
    dmarc: methodVerdict(authResults, 'dmarc'),
    spam: scanVerdict(first('x-ses-spam-verdict')),
    virus: scanVerdict(first('x-ses-virus-verdict')),
  };
  if (verdicts.dmarc === 'FAIL' && authResults) {
    const policy = dmarcPolicyOf(authResults);
    if (policy) verdicts.dmarcPolicy = policy;
  }
  return verdicts;
}

/** Longest DKIM domain read: a domain name is at most 253 characters. */
const DOMAIN_NAME = '([a-z0-9](?:[a-z0-9-]{0,62})(?:\\.[a-z0-9](?:[a-z0-9-]{0,62}))*)(?=[\\s;)]|$)';

/**
 * A DKIM result part as SES writes it: `dkim=pass header.i=@example.com` (or `header.d=example.com`), its
 * properties separated by whitespace. The sender's HELO name and MAIL FROM appear in SES's header too, and
 * neither can hold a space outside quotes, so a `dkim=pass.header.d=…` smuggled into a HELO name never matches.
 */
const DKIM_PASS_PART = new RegExp(`^\\s*dkim\\s*=\\s*pass(?:\\s+\\([^()]*\\))?(?:\\s+header\\.[a-z]+=\\S+)*?\\s+header\\.(?:d=|i=[^\\s@;()"]{0,64}@)${DOMAIN_NAME}(?:\\s+header\\.[a-z]+=\\S+)*\\s*$`, 'i');
const DMARC_HEADER_FROM = new RegExp(`\\bheader\\.from=${DOMAIN_NAME}`, 'i');

/** What SES's own Authentication-Results says about domains, for DMARC-style alignment with the From domain. */
export interface SesAuthenticatedDomains {
  /** Signing domains of the DKIM results SES reported as `pass`. */
  dkimPassDomains: string[];
  /**
   * The From domain SES evaluated DMARC for (`dmarc=… header.from=example.com`); `''` when SES's header has
   * other than exactly one dmarc result with a domain (text the sender smuggled in through its HELO name), so
   * no From domain can match it.
   */
  dmarcHeaderFrom?: string;
}

/**
 * Domains from the Authentication-Results in SES's own block on top. The sender controls text inside that
 * header (its HELO name and MAIL FROM), so DKIM domains are read only from parts written the way SES writes
 * them, and only when every dkim result in the value stands in a part of its own, as for the verdict.
 */
export function readSesAuthenticatedDomains(rawHeaderBlock: string): SesAuthenticatedDomains {
  const block = sesStampedBlock(parseHeaderFields(rawHeaderBlock));
  if (!block) return { dkimPassDomains: [] };
  const authResults = block
    .filter((field) => field.name === 'authentication-results')
    .map((field) => parseAuthenticationResults(field.value))
    .find((parsed) => parsed?.authservId === SES_AUTHSERV_ID);
  if (!authResults) return { dkimPassDomains: [] };
  const dmarcParts = authResults.parts.filter((entry) => entry.method === 'dmarc');
  const dmarcAnywhere = authResults.anywhere.filter((entry) => entry.method === 'dmarc');
  const dmarcHeaderFrom =
    dmarcParts.length === 1 && dmarcAnywhere.length === 1 ? (withoutComments(dmarcParts[0]?.text ?? '').match(DMARC_HEADER_FROM)?.[1]?.toLowerCase() ?? '') : '';
  const inParts = authResults.parts.filter((entry) => entry.method === 'dkim');
  const anywhere = authResults.anywhere.filter((entry) => entry.method === 'dkim');
  const domains = new Set<string>();
  if (inParts.length === anywhere.length) {
    for (const entry of inParts) {
      const domain = entry.text.match(DKIM_PASS_PART)?.[1];
      if (domain) domains.add(domain.toLowerCase());
    }
  }
  return { dkimPassDomains: [...domains], dmarcHeaderFrom };
}

/** Signing domains of the DKIM results SES reported as `pass` (see readSesAuthenticatedDomains). */
export function readSesDkimPassDomains(rawHeaderBlock: string): string[] {
  return readSesAuthenticatedDomains(rawHeaderBlock).dkimPassDomains;
}

/**
 * The block SES added: the fields from the very top while each is a name SES stamps and none repeats, closed by
 * X-SES-RECEIPT (plus the X-SES-DKIM-SIGNATURE right after it, which signs the receipt). A field SES does not
 * stamp, a repeated name, or the end of the header section before any X-SES-RECEIPT means there is no block:
 * whatever verdict headers follow were written by the sender.
 */
function sesStampedBlock(fields: HeaderField[]): HeaderField[] | undefined {
  const seen = new Set<string>();
  for (const [index, field] of fields.entries()) {
    if (!SES_STAMPED_HEADERS.includes(field.name) || seen.has(field.name)) return undefined;
    seen.add(field.name);
    if (field.name === SES_RECEIPT_HEADER) {
      const next = fields[index + 1];
      return next?.name === SES_SIGNATURE_HEADER && !seen.has(SES_SIGNATURE_HEADER)
        ? fields.slice(0, index + 2)
        : fields.slice(0, index + 1);
    }
  }
  return undefined;
}

/** Unfolded fields up to the first empty line. A line that is not `name: value` (an mbox `From ` line) ends the run. */
function parseHeaderFields(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last) last.value += line;
      else fields.push({ name: '', value: line });
      continue;
    }
    const match = line.match(/^([!-9;-~]+)[ \t]*:(.*)$/);
    fields.push(match ? { name: (match[1] ?? '').toLowerCase(), value: match[2] ?? '' } : { name: '', value: line });
  }
  return fields;
}

function scanVerdict(value: string | undefined): Verdict {
  if (value === undefined) return 'DISABLED';
  const word = value.trim().toUpperCase();
  return STATUS_WORDS.find((status) => status === word) ?? 'PROCESSING_FAILED';
}

interface MethodResult {
  method: string;
  result: string;
  /** From the result to the end of its `;`-separated part, comments included, for the DMARC policy. */
  text: string;
}

interface AuthenticationResults {
  authservId: string;
  /** Results that open a `;`-separated part of their own, quotes and comments respected. */
  parts: MethodResult[];
  /** Every `method=result` in the value, wherever it stands. */
  anywhere: MethodResult[];
}

const ANY_RESULT = /(?:^|[\s;("])(spf|dkim|dmarc)\s*=\s*([a-z]+)/gi;

/**
 * SES's own Authentication-Results is a few hundred bytes (the sender's HELO and MAIL FROM are its longest
 * parts, each bounded by SMTP); a longer value is no header of SES's, and parsing it would cost time.
 */
export const MAX_AUTHENTICATION_RESULTS_CHARS = 8 * 1024;

function parseAuthenticationResults(value: string): AuthenticationResults | undefined {
  if (value.length > MAX_AUTHENTICATION_RESULTS_CHARS) return undefined;
  const [head, ...rest] = splitOutsideQuotesAndComments(value);
  if (head === undefined) return undefined;
  // `amazonses.com` or `amazonses.com 1` (RFC 8601 allows a version after the authserv-id).
  const authservId = (withoutComments(head).trim().split(/\s+/)[0] ?? '').toLowerCase();

  const parts: MethodResult[] = [];
  for (const part of rest) {
    // SES writes spf's properties (client-ip=…; envelope-from=…; helo=…;) as parts of their own; only a part
    // that opens with a method name is a result.
    const match = withoutComments(part).match(/^\s*([a-z][a-z0-9-]*)\s*=\s*([a-z]+)\b/i);
    if (match) parts.push({ method: (match[1] ?? '').toLowerCase(), result: (match[2] ?? '').toLowerCase(), text: part });
  }

  const anywhere: MethodResult[] = [];
  for (const match of value.matchAll(ANY_RESULT)) {
    const text = splitOutsideQuotesAndComments(value.slice(match.index + match[0].length))[0] ?? '';
    anywhere.push({ method: (match[1] ?? '').toLowerCase(), result: (match[2] ?? '').toLowerCase(), text });
  }
  return { authservId, parts, anywhere };
}

function methodVerdict(authResults: AuthenticationResults | undefined, method: AuthMethod): Verdict {
  if (!authResults) return 'PROCESSING_FAILED';
  const toVerdict = (entry: MethodResult): Verdict => AUTH_RESULT_VERDICTS[entry.result] ?? 'PROCESSING_FAILED';
  const inParts = authResults.parts.filter((entry) => entry.method === method).map(toVerdict);
  const anywhere = authResults.anywhere.filter((entry) => entry.method === method).map(toVerdict);
  const all = [...inParts, ...anywhere];
  if (all.length === 0) return 'GRAY';
  if (method === 'dkim' && inParts.length === anywhere.length && inParts.includes('PASS')) return 'PASS';
  return all.reduce((worst, verdict) => (SEVERITY[verdict] > SEVERITY[worst] ? verdict : worst));
}

/**
 * The strictest policy named in a failing dmarc result: `dmarc=fail (p=REJECT sp=NONE dis=NONE)` as Gmail and
 * others write it, or `policy.published-domain-policy=reject`. Strictest, so text a sender added cannot soften it.
 */
function dmarcPolicyOf(authResults: AuthenticationResults): DmarcPolicy | undefined {
  let strictest = -1;
  for (const entry of [...authResults.parts, ...authResults.anywhere]) {
    if (entry.method !== 'dmarc' || AUTH_RESULT_VERDICTS[entry.result] !== 'FAIL') continue;
    const match = entry.text.match(/(?:^|[\s(;])(?:p|policy\.published-domain-policy)\s*=\s*(none|quarantine|reject)\b/i);
    const rank = DMARC_POLICIES.findIndex((policy) => policy === match?.[1]?.toLowerCase());
    strictest = Math.max(strictest, rank);
  }
  return DMARC_POLICIES[strictest];
}

/** Splits on `;` except inside "quoted strings" and (comments), which may contain `;`. */
function splitOutsideQuotesAndComments(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < value.length; index++) {
    const char = value[index] ?? '';
    if (char === '\\' && (quoted || depth > 0)) {
      current += char + (value[index + 1] ?? '');
      index++;
      continue;
    }
    if (quoted) {
      if (char === '"') quoted = false;
    } else if (char === '"' && depth === 0) {
      quoted = true;
    } else if (char === '(') {
      depth++;
    } else if (char === ')' && depth > 0) {
      depth--;
    } else if (char === ';' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}

function withoutComments(text: string): string {
  let result = '';
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (char === '\\' && (quoted || depth > 0)) {
      if (depth === 0) result += char + (text[index + 1] ?? '');
      index++;
      continue;
    }
    if (depth === 0 && char === '"') quoted = !quoted;
    if (!quoted && char === '(') {
      depth++;
      continue;
    }
    if (!quoted && char === ')' && depth > 0) {
      depth--;
      if (depth === 0) result += ' ';
      continue;
    }
    if (depth === 0) result += char;
  }
  return result;
}

/** Offset just past the last header line's line break, or -1 when the text holds no empty line. */
function firstEmptyLine(text: string): number {
  if (text.startsWith('\n') || text.startsWith('\r\n')) return 0;
  const match = /\n\r?\n/.exec(text);
  return match ? match.index + 1 : -1;
}

/** Offset just past the last header line's line break, or -1 when the bytes hold no empty line. */
function firstEmptyLineInBytes(bytes: Buffer): number {
  if (bytes[0] === 0x0a || (bytes[0] === 0x0d && bytes[1] === 0x0a)) return 0;
  for (let index = bytes.indexOf(0x0a); index >= 0; index = bytes.indexOf(0x0a, index + 1)) {
    const next = bytes[index + 1];
    if (next === 0x0a || (next === 0x0d && bytes[index + 2] === 0x0a)) return index + 1;
  }
  return -1;
}
