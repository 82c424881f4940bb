/**
 * The suppression list: addresses the desk never mails again because mail to them bounced for good or drew a
 * complaint. One record per address (lower-cased), kept after it is lifted so the lift stays on record.
 */

/** Why an address is suppressed: SES reported a permanent bounce or a complaint, or a bounce report came by mail. */
export type SuppressionReason = 'hard-bounce' | 'complaint' | 'dsn';
export const SUPPRESSION_REASONS: readonly SuppressionReason[] = ['hard-bounce', 'complaint', 'dsn'];

/** What the bounce or complaint said, as far as it said it. */
export interface SuppressionDetails {
  /** SES bounce type and subtype (`Permanent` / `General`, `NoEmail`, …). */
  bounceType?: string;
  bounceSubType?: string;
  /** The receiving server's answer, e.g. `smtp; 550 5.1.1 user unknown`. */
  diagnosticCode?: string;
  /** RFC 3463 status of a delivery report, e.g. `5.1.1`. */
  status?: string;
  /** A complaint's feedback type (`abuse`, `not-spam`, …), when the complaint carried one. */
  complaintFeedbackType?: string;
}

/** One lift of a suppression, kept for good: who lifted it, why, and what it lifted. */
export interface SuppressionLift {
  at: string;
  by: string;
  reason: string;
  /** The suppression that was lifted. */
  suppressedReason: SuppressionReason;
  suppressedAt: string;
}

export interface Suppression extends SuppressionDetails {
  email: string;
  reason: SuppressionReason;
  suppressedAt: string;
  /** The SES message id of our mail that bounced or was complained about, and its ticket when known. */
  sesMessageId?: string;
  ticketId?: string;
  /** The notification or report that caused it (SES feedback id, or the report's own SES id). */
  cause: string;
  /** False once lifted; `liftedAt`, `liftedBy` and `liftReason` then say by whom and why. */
  active: boolean;
  liftedAt?: string;
  liftedBy?: string;
  liftReason?: string;
  /** Every lift of this address, oldest first. */
  lifts: SuppressionLift[];
}

/** A new suppression as the feedback use case records it. */
export type NewSuppression = Pick<Suppression, 'email' | 'reason' | 'suppressedAt' | 'cause'> & SuppressionDetails & { sesMessageId?: string; ticketId?: string };

const REASON_TEXT: Record<SuppressionReason, string> = {
  'hard-bounce': 'hard bounce',
  complaint: 'complaint',
  dsn: 'bounce report by mail',
};

/** One line saying why mail to the address is not sent, e.g. `suppressed: hard bounce on 2026-11-22 (smtp; 550 5.1.1 user unknown)`. */
export function describeSuppression(suppression: Pick<Suppression, 'reason' | 'suppressedAt' | 'diagnosticCode' | 'status' | 'complaintFeedbackType'>): string {
  const detail = suppression.diagnosticCode ?? (suppression.complaintFeedbackType ? `feedback type ${suppression.complaintFeedbackType}` : suppression.status);
  return `suppressed: ${REASON_TEXT[suppression.reason]} on ${suppression.suppressedAt.slice(0, 10)}${detail ? ` (${detail})` : ''}`;
}

/** Addresses are compared lower-cased, as the suppression list stores them. */
export const normaliseAddress = (address: string): string => address.trim().toLowerCase();
