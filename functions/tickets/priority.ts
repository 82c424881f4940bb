import type { Priority } from './model';

/**
 * Account-security incidents jump the queue whatever the tier: account taken over, unauthorized
 * withdrawal, frozen assets, lost 2FA. Matched on subject and visible text in English and Chinese.
 */
const SECURITY_PATTERNS: readonly RegExp[] = [
  /\b(hack(ed|ing)?|compromised|taken over|account takeover|stolen|phish(ed|ing)?)\b/i,
  /\bunauthori[sz]ed\b/i,
  /\b(withdrawals?|transfers?)\b[^.\n]{0,40}\b(didn'?t|did not|never) (make|authori[sz]e|request)/i,
  /\b(frozen|freeze|locked)\b[^.\n]{0,30}\b(account|assets?|funds?|wallet)\b|\b(account|assets?|funds?|wallet)\b[^.\n]{0,30}\b(frozen|locked)\b/i,
  /\b(2fa|two[- ]factor|authenticator|google auth)\b[^.\n]{0,40}\b(lost|reset|stolen|changed|disabled|removed)\b|\b(lost|reset)\b[^.\n]{0,40}\b(2fa|two[- ]factor|authenticator)\b/i,
  /被盗|盗号|被黑|被入侵|未经授权|未授权|非本人|冻结|被锁|丢失.{0,6}(2FA|谷歌验证|验证器|二次验证)|(2FA|谷歌验证|验证器|二次验证).{0,6}(丢失|重置|被改)/i,
];

/**
 * Scan at most this much text: the decision needs the opening lines, not a pasted log. Every pattern's gaps are
 * bounded (`{0,40}`), so a scan costs at most a few dozen steps per character of what it reads.
 */
export const PRIORITY_SCAN_CHARS = 20_000;

/** Scan at most this much of the subject: RFC 5322 allows 998 characters on a line, and no more is stored. */
export const PRIORITY_SCAN_SUBJECT_CHARS = 998;

export function isSecurityIncident(subject: string, text: string): boolean {
  const sample = `${subject.slice(0, PRIORITY_SCAN_SUBJECT_CHARS)}\n${text.slice(0, PRIORITY_SCAN_CHARS)}`;
  return SECURITY_PATTERNS.some((pattern) => pattern.test(sample));
}

export function priorityFor(subject: string, text: string): Priority {
  return isSecurityIncident(subject, text) ? 'urgent' : 'normal';
}
