/**
 * One SNS message of SES feedback: a permanent bounce or a complaint suppresses its recipients and is
 * recorded on the ticket (record-delivery-failure.ts); a transient or undetermined bounce suppresses nothing
 * (the mail may still arrive, or SES is still retrying); anything else is refused with a reason.
 */
import { parseFeedbackNotification } from './ses-notification';
import { recordDeliveryFailure, type DeliveryFailureDependencies, type DeliveryFailureOutcome } from './record-delivery-failure';

export type FeedbackResult =
  | ({ outcome: 'suppressed'; kind: 'bounce' | 'complaint'; sesMessageId: string } & DeliveryFailureOutcome)
  | { outcome: 'not-suppressed'; why: string; sesMessageId?: string }
  | { outcome: 'refused'; reason: string };

export async function receiveFeedback(snsMessage: string, deps: DeliveryFailureDependencies): Promise<FeedbackResult> {
  const now = (deps.now ?? (() => new Date()))();
  const parsed = parseFeedbackNotification(snsMessage, now);
  if (!parsed.ok) return { outcome: 'refused', reason: parsed.reason };
  const notification = parsed.notification;
  if (notification.kind === 'ignored') return { outcome: 'not-suppressed', why: `${notification.type} notifications are not acted on` };
  if (notification.kind === 'bounce' && !notification.permanent) {
    return { outcome: 'not-suppressed', why: `a ${notification.recipients[0]?.bounceType ?? 'transient'} bounce suppresses nothing`, sesMessageId: notification.sesMessageId };
  }
  const recorded = await recordDeliveryFailure(
    {
      reason: notification.kind === 'bounce' ? 'hard-bounce' : 'complaint',
      sesMessageId: notification.sesMessageId,
      cause: `ses:${notification.feedbackId}`,
      at: notification.at,
      recipients: notification.recipients,
    },
    deps,
  );
  return { outcome: 'suppressed', kind: notification.kind, sesMessageId: notification.sesMessageId, ...recorded };
}
