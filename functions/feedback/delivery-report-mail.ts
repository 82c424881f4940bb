/**
 * A delivery status report that came back by mail and cites mail the desk sent: a hard failure is handled as
 * SES's own bounce notification would be (record-delivery-failure.ts), with one more rule, since anyone can
 * write such a report: only addresses the cited mail was actually sent to are suppressed.
 */
import { readDeliveryReport } from '../mail/delivery-report';
import type { InboundMail } from '../mail/types';
import type { SuppressionStore } from '../ports/suppression-store';
import { isSesAssignedKey, messageIdKey } from '../tickets/references';
import { locateOutbound, recordDeliveryFailure, type DeliveryFailureDependencies, type DeliveryFailureOutcome } from './record-delivery-failure';

export interface DeliveryReportMail {
  mail: Pick<InboundMail, 'contentType' | 'text' | 'attachments' | 'inReplyTo' | 'references'>;
  /** The SES id under which the report itself was received: the cause its writes are keyed by. */
  sesMessageId: string;
  receivedAt: string;
}

/** Ids of our mail a report may cite, most telling first: the returned message's own, then In-Reply-To, then References newest first. */
const MAX_CITED_IDS = 10;

export async function recordDeliveryReport(input: DeliveryReportMail, deps: DeliveryFailureDependencies & { suppressions: Pick<SuppressionStore, 'suppress'> }): Promise<DeliveryFailureOutcome | undefined> {
  const report = readDeliveryReport(input.mail);
  const hard = report?.recipients.filter((recipient) => recipient.hard) ?? [];
  if (!report || hard.length === 0) return undefined;
  const cited = [...new Set([report.originalMessageId, ...input.mail.inReplyTo, ...[...input.mail.references].reverse()].filter((id): id is string => Boolean(id)).map(messageIdKey).filter(isSesAssignedKey))].slice(0, MAX_CITED_IDS);
  for (const key of cited) {
    const sesMessageId = key.slice('ses:'.length);
    if (!(await locateOutbound(sesMessageId, deps))) continue;
    return recordDeliveryFailure(
      {
        reason: 'dsn',
        sesMessageId,
        cause: `dsn:${input.sesMessageId}`,
        at: input.receivedAt,
        recipients: hard.map((recipient) => ({ email: recipient.email, status: recipient.status, ...(recipient.diagnosticCode ? { diagnosticCode: recipient.diagnosticCode } : {}) })),
        onlyItsRecipients: true,
      },
      deps,
    );
  }
  return undefined;
}
