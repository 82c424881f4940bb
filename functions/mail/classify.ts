import type { Classification, HeaderLine, MailAddress, Verdicts } from './types';

export interface ClassifyInput {
  /** Top-level header block, in order, keys lower-cased. */
  headers: HeaderLine[];
  /** Parsed From. */
  from?: MailAddress;
  /** SMTP MAIL FROM as SES reports it (event `mail.source`); `''` or `'<>'` for a null sender. */
  envelopeSender: string;
  /** Root content type, lower-cased, no parameters, e.g. `multipart/report`. */
  contentType: string;
  subject: string;
  /** Concierge's own addresses, lower-cased; plus-addressed variants (`support+tok@…`) count as own too. */
  ownAddresses: string[];
  verdicts: Pick<Verdicts, 'spam' | 'virus'>;
}

/**
 * Root content types of machine-written reports. A multipart/report is a report whatever its report-type
 * (delivery-status, disposition-notification, feedback-report); the bare message/* types are what a few
 * broken MTAs send without the multipart wrapper.
 */
export const REPORT_CONTENT_TYPES: readonly string[] = [
  'multipart/report',
  'message/delivery-status',
  'message/disposition-notification',
  'message/feedback-report',
];

/** From local parts that only mail systems write from. `post_master` and `mailer_daemon` occur in the wild. */
export const MAIL_SYSTEM_LOCAL_PART = /^(?:mailer[-_]?daemon|post[-_]?master)$/i;

/**
 * Subjects that only delivery and abuse reports carry. Last resort, tried after every header rule, so it only
 * decides for reports that carry no structural sign. Anchored at the start: a `Re:` or `Fwd:` in front means a
 * person wrote about a report (see FORWARD_PREFIX).
 */
export const BOUNCE_SUBJECT =
  /^\s*(?:undeliver(?:able|ed)\b|delivery (?:status notification|failure|has failed|notification)|mail delivery (?:failed|failure)|returned mail\b|non[- ]?delivery\b|failure notice\b|message not delivered\b|complaint about message from\b)/i;

/**
 * The prefixes mail clients put in front of a subject they forward (Fwd, Fw, German WG, French TR, Spanish RV,
 * Portuguese Enc, Nordic VS/FS, Dutch Doorst, Chinese 转发/轉寄/转寄/轉發), with an ASCII or full-width colon.
 * Mail systems never forward their own reports this way: a bounce's subject starts with its own phrase.
 */
export const FORWARD_PREFIX = /^\s*(?:fwd?|wg|tr|rv|enc|vs|fs|doorst|转发|轉發|转寄|轉寄)\s?[:：]\s*/i;

/**
 * Only this many leading characters of the subject are read. Every subject rule is anchored at the start and
 * needs the first few dozen characters; RFC 5322 allows 998 characters on a line, so nothing a rule needs lies
 * past this, whatever a hostile sender folds after it.
 */
export const MAX_CLASSIFIED_SUBJECT_CHARS = 998;

/**
 * Only this many leading characters of a header value are read. Every sign classification looks for (a keyword,
 * a report-type parameter, a null address) opens its value, and RFC 5322 allows 998 characters on a line. A
 * value cut inside a comment leaves the comment open, which reads as automatic: the cut can only err towards
 * machine mail, never towards acknowledging one.
 */
export const MAX_CLASSIFIED_HEADER_VALUE_CHARS = 998;

/** A reason quotes at most this much of a header keyword or subject, so a hostile value cannot bloat it. */
const MAX_REASON_QUOTE_CHARS = 64;

/**
 * Subjects of out-of-office and other automatic replies, in the forms Outlook, Exchange, iCloud and common
 * vacation programs write. The colon is required so a subject like "Auto reply settings" from a person is not
 * caught. Last resort, like BOUNCE_SUBJECT.
 */
export const AUTO_REPLY_SUBJECT =
  /^\s*(?:auto(?:matic)?[- ]?(?:reply|response|respons)|out of (?:the )?office(?: auto ?reply)?|abwesenheitsnotiz|automatische antwort|réponse automatique|自动回复|自动答复|自動応答|自動返信)\s*:/i;

/** Precedence values that mark mailing-list and bulk mail (RFC 3834 §2). `auto_reply` is a de-facto value. */
export const BULK_PRECEDENCE: readonly string[] = ['bulk', 'list', 'junk', 'auto_reply'];

/** no-reply senders: noreply, no-reply, no_reply, do-not-reply, donotreply, and suffixed forms like noreply-billing. */
export const NO_REPLY_LOCAL_PART = /^(?:no|do[-_.]?not)[-_.]?reply(?:[-_.+].*)?$/i;

/**
 * Headers whose presence alone marks automatic or list mail, with the name a reason shows. RFC 3834 §2 tells
 * responders not to answer any List-* mail, so every RFC 2369/2919 list header counts, not only List-Unsubscribe;
 * `Mailing-List` (ezmlm) and `X-MLServer` (fml) are list managers that write no List-Unsubscribe.
 * X-Autoreply and X-Autorespond carry free-form values (`yes`, a product name), so only presence counts.
 */
export const AUTOMATIC_PRESENCE_HEADERS: Readonly<Record<string, string>> = {
  'x-autoreply': 'X-Autoreply',
  'x-autorespond': 'X-Autorespond',
  'list-unsubscribe': 'List-Unsubscribe',
  'list-id': 'List-Id',
  'list-post': 'List-Post',
  'list-help': 'List-Help',
  'list-subscribe': 'List-Subscribe',
  'list-owner': 'List-Owner',
  'list-archive': 'List-Archive',
  'mailing-list': 'Mailing-List',
  'x-mlserver': 'X-MLServer',
};

/** X-Auto-Response-Suppress values that ask for nothing to be suppressed. */
export const NON_SUPPRESSING_VALUES: readonly string[] = ['', 'none'];

/**
 * Order: the scanners' verdicts, then structural signs of a report, then RFC 3834 auto-replies (which also come
 * with a null sender, so they are told apart from bounces before the null-sender rule), then the remaining
 * header signs, and only then subjects. X-Auto-Response-Suppress is deliberately not a sign: see
 * `suppressesAutoResponse`.
 */
export function classifyMail(input: ClassifyInput): Classification {
  if (input.verdicts.virus === 'FAIL') return { kind: 'virus', reason: 'SES virus verdict FAIL' };
  if (input.verdicts.spam === 'FAIL') return { kind: 'spam', reason: 'SES spam verdict FAIL' };

  const headers = indexHeaders(input.headers);
  const subject = input.subject.slice(0, MAX_CLASSIFIED_SUBJECT_CHARS);

  const report = reportReason(input, headers);
  if (report) return { kind: 'bounce', reason: report };

  const autoSubmitted = autoSubmittedKeyword(headers);
  if (autoSubmitted === 'auto-replied') return { kind: 'auto-reply', reason: 'Auto-Submitted: auto-replied' };

  if (isNullSender(input.envelopeSender)) return { kind: 'bounce', reason: 'null envelope sender' };

  if (autoSubmitted !== undefined) return { kind: 'auto-reply', reason: `Auto-Submitted: ${quoted(autoSubmitted) || '(empty)'}` };

  const automatic = automaticHeaderReason(input, headers);
  if (automatic) return { kind: 'auto-reply', reason: automatic };

  const bounceSubject = subject.match(BOUNCE_SUBJECT);
  if (bounceSubject) return { kind: 'bounce', reason: `Subject: ${quoted(bounceSubject[0].trim())}` };

  const forwardedReport = forwardedReportSubject(subject);
  if (forwardedReport) return { kind: 'person', reason: `forwarded by a person: Subject: ${quoted(forwardedReport)}` };

  const autoReplySubject = subject.match(AUTO_REPLY_SUBJECT);
  if (autoReplySubject) return { kind: 'auto-reply', reason: `Subject: ${quoted(autoReplySubject[0].trim())}` };

  return { kind: 'person', reason: 'no automatic-mail sign' };
}

/**
 * `Fwd: Undeliverable: …` with nothing else automatic about it: a person forwarding a bounce to ask for help.
 * It is only reached after every structural and header rule has found nothing (no report content type, no
 * mailer-daemon or no-reply From, no Auto-Submitted, no null envelope sender, no list or bulk header), so a
 * machine report keeps its machine signs whatever its subject says; the prefix only stops the subject rule,
 * the last resort, from overruling a person. Returns the forward prefix and report phrase, or undefined.
 */
function forwardedReportSubject(subject: string): string | undefined {
  let rest = subject;
  let forwarded = false;
  for (let prefix = rest.match(FORWARD_PREFIX); prefix; prefix = rest.match(FORWARD_PREFIX)) {
    rest = rest.slice(prefix[0].length);
    forwarded = true;
  }
  const report = forwarded ? rest.match(BOUNCE_SUBJECT) : null;
  return report ? subject.slice(0, subject.length - rest.length + report[0].length).trim() : undefined;
}

/**
 * True when the sender asked, through Exchange's X-Auto-Response-Suppress, that no automatic response be sent.
 * The acknowledgement step must honour it. It does not make the message automatic: Exchange stamps it on
 * ordinary mail expanded through distribution lists, and help desks that treated it as an auto-reply sign
 * dropped real customer mail (osTicket #726 and PR 5320, GLPI #2170, Redmine 19558; sisimai #491 removed it
 * from its auto-reply detection). Any value other than empty or `None` suppresses.
 */
export function suppressesAutoResponse(headers: HeaderLine[]): boolean {
  return (indexHeaders(headers).get('x-auto-response-suppress') ?? []).some((value) =>
    value
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .some((token) => !NON_SUPPRESSING_VALUES.includes(token)),
  );
}

function reportReason(input: ClassifyInput, headers: HeaderIndex): string | undefined {
  if (REPORT_CONTENT_TYPES.includes(input.contentType)) {
    const reportType = reportTypeOf(headers);
    return reportType
      ? `Content-Type: ${input.contentType}; report-type=${reportType}`
      : `Content-Type: ${input.contentType}`;
  }

  const fromLocal = localPart(input.from?.address ?? '');
  if (MAIL_SYSTEM_LOCAL_PART.test(fromLocal)) return `From ${fromLocal.toLowerCase()}`;
  // `From: MAILER-DAEMON <>`: only mail systems write the null address into From.
  if (NULL_ADDRESS.test(firstValue(headers, 'from') ?? '')) return 'From <> (null address)';

  if (firstValue(headers, 'x-failed-recipients') !== undefined) return 'X-Failed-Recipients';
  return undefined;
}

/**
 * The keyword of the first Auto-Submitted header that is not `no`, `''` for an empty one (malformed, but only
 * machines write the header at all), undefined when there is none. Every header counts: a forwarder may add
 * `no` above an original `auto-replied`.
 */
function autoSubmittedKeyword(headers: HeaderIndex): string | undefined {
  for (const value of headers.get('auto-submitted') ?? []) {
    const keyword = bareKeyword(value);
    if (keyword !== 'no') return keyword;
  }
  return undefined;
}

function automaticHeaderReason(input: ClassifyInput, headers: HeaderIndex): string | undefined {
  for (const value of headers.get('precedence') ?? []) {
    const keyword = bareKeyword(value);
    if (BULK_PRECEDENCE.includes(keyword)) return `Precedence: ${keyword}`;
  }

  for (const [key, name] of Object.entries(AUTOMATIC_PRESENCE_HEADERS)) {
    if (headers.has(key)) return name;
  }

  const fromAddress = input.from?.address.toLowerCase() ?? '';
  const fromLocal = localPart(fromAddress);
  if (NO_REPLY_LOCAL_PART.test(fromLocal)) return `From ${quoted(fromLocal)}`;

  if (fromAddress && isOwnAddress(fromAddress, input.ownAddresses)) return 'From own address (loop)';
  return undefined;
}

const NULL_ADDRESS = /<\s*>/;

function isNullSender(envelopeSender: string): boolean {
  const bare = envelopeSender.trim();
  return bare === '' || bare === '<>';
}

/** True for `support@d` and `support+anything@d` when `support@d` is own. */
export function isOwnAddress(address: string, ownAddresses: readonly string[]): boolean {
  const lower = address.trim().toLowerCase();
  if (ownAddresses.includes(lower)) return true;
  const at = lower.lastIndexOf('@');
  const plus = lower.indexOf('+');
  if (at < 0 || plus < 0 || plus > at) return false;
  return ownAddresses.includes(lower.slice(0, plus) + lower.slice(at));
}

function localPart(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(0, at)).trim();
}

/**
 * `auto-replied (vacation); x=y` → `auto-replied`. Comments nest; each `)` closes the nearest open `(` and
 * the whole comment becomes one space, in one pass (peeling comments from the inside out re-scans the value
 * once per level: quadratic in a value of nested parentheses). A `(` that is never closed stays as text.
 */
function bareKeyword(value: string): string {
  const out: string[] = [];
  const openAt: number[] = [];
  for (const char of value) {
    if (char === '(') {
      openAt.push(out.length);
      out.push(char);
    } else if (char === ')' && openAt.length > 0) {
      out.length = openAt.pop() ?? 0;
      out.push(' ');
    } else {
      out.push(char);
    }
  }
  const text = out.join('');
  return (text.split(';', 1)[0] ?? '').trim().toLowerCase();
}

function reportTypeOf(headers: HeaderIndex): string | undefined {
  const contentType = firstValue(headers, 'content-type');
  const match = contentType?.match(/;\s*report-type\s*=\s*"?([\w.-]+)"?/i);
  return match?.[1]?.toLowerCase();
}

function quoted(text: string): string {
  return text.length > MAX_REASON_QUOTE_CHARS ? `${text.slice(0, MAX_REASON_QUOTE_CHARS)}…` : text;
}

/** The values of the headers classification reads, each cut to MAX_CLASSIFIED_HEADER_VALUE_CHARS, by key. */
type HeaderIndex = ReadonlyMap<string, string[]>;

const READ_HEADERS: ReadonlySet<string> = new Set([
  'auto-submitted',
  'precedence',
  'from',
  'content-type',
  'x-failed-recipients',
  'x-auto-response-suppress',
  ...Object.keys(AUTOMATIC_PRESENCE_HEADERS),
]);

/** One pass over the header block (its size is bounded by the parser's header limit), keeping what is read. */
function indexHeaders(headers: readonly HeaderLine[]): HeaderIndex {
  const index = new Map<string, string[]>();
  for (const { key, value } of headers) {
    if (!READ_HEADERS.has(key)) continue;
    const values = index.get(key) ?? [];
    values.push(value.slice(0, MAX_CLASSIFIED_HEADER_VALUE_CHARS));
    index.set(key, values);
  }
  return index;
}

function firstValue(headers: HeaderIndex, key: string): string | undefined {
  return headers.get(key)?.[0];
}
