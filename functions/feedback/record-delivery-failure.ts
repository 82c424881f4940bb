/**
 * Mail the desk sent could not be delivered for good (a permanent bounce, a bounce report by mail) or drew a
 * complaint. The same use case serves SES's feedback notifications and reports that come back by mail:
 * 1. suppress each affected address (nothing is sent there again until someone lifts it);
 * 2. find the ticket and the outbound message the bounced mail was (the Message-ID index of the ids SES gave
 *    our mail), and record `delivery-suppressed` on the ticket for each address;
 * 3. when the mail was a staff member's relayed answer, tell that staff member by mail, once.
 * Every write is keyed by the bounced mail and the address, so SNS's repeated deliveries change nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sendStaffNotice } from '../tickets/outbound-messages';
import { buildDeliveryFailedNotice } from '../outbound/delivery-failed-notice';
import type { MailSender } from '../ports/mail-sender';
import type { RosterStore } from '../ports/roster-store';
import type { SuppressionStore } from '../ports/suppression-store';
import type { TicketStore } from '../ports/ticket-store';
import { describeSuppression, normaliseAddress, type SuppressionDetails, type SuppressionReason } from '../suppression/model';
import type { TicketMessage } from '../tickets/model';
import { messageIdKey, ownMessageDiscriminator, ownMessageIdFor, sesMessageIdHeader } from '../tickets/references';

export interface DeliveryFailure {
  reason: SuppressionReason;
  /** The SES message id of our mail that failed. */
  sesMessageId: string;
  /** What reported it: `ses:<feedback id>` for SES's notification, `dsn:<SES id of the report>` for mail. */
  cause: string;
  at: string;
  recipients: ReadonlyArray<{ email: string } & SuppressionDetails>;
  /**
   * Suppress only addresses the bounced mail was sent to. For reports that come by mail, which anyone can
   * write: a report citing our mail must not put some other address (a colleague's) on the list.
   */
  onlyItsRecipients?: boolean;
}

export interface DeliveryFailureDependencies {
  store: Pick<TicketStore, 'lookupMessageIds' | 'listMessages' | 'recordEvent' | 'getTicket' | 'outboundLedger'>;
  roster: Pick<RosterStore, 'getStaff'>;
  suppressions: Pick<SuppressionStore, 'suppress'>;
  mailSender: MailSender;
  settings: { supportAddress: string; supportDisplayName: string; replyTokenSecret: string; region: string };
  now?: () => Date;
  log?: (message: string, fields: Record<string, unknown>) => void;
  newClaimHolder?: () => string;
  locateRetryDelaysMs?: readonly number[];
}

export interface DeliveryFailureOutcome {
  suppressed: string[];
  alreadySuppressed: string[];
  ticketId?: string;
  /** What became of the notice to the staff member whose answer failed, per address. */
  staffNotices: string[];
}

export async function recordDeliveryFailure(failure: DeliveryFailure, deps: DeliveryFailureDependencies): Promise<DeliveryFailureOutcome> {
  const outcome: DeliveryFailureOutcome = { suppressed: [], alreadySuppressed: [], staffNotices: [] };
  // A report by mail comes long after the send was recorded; SES's notification may come before it.
  const located = await locateOutbound(failure.sesMessageId, deps, failure.cause.startsWith('dsn:') ? [] : (deps.locateRetryDelaysMs ?? LOCATE_RETRY_DELAYS_MS));
  if (located) outcome.ticketId = located.ticketId;
  const sentTo = new Set((located?.message?.to ?? []).map(normaliseAddress));
  for (const recipient of failure.recipients) {
    const email = normaliseAddress(recipient.email);
    if (failure.onlyItsRecipients && !sentTo.has(email)) continue;
    const { email: _given, ...details } = recipient;
    const entry = { email, reason: failure.reason, suppressedAt: failure.at, cause: failure.cause, sesMessageId: failure.sesMessageId, ...details, ...(located ? { ticketId: located.ticketId } : {}) };
    const result = await deps.suppressions.suppress(entry);
    (result === 'suppressed' ? outcome.suppressed : outcome.alreadySuppressed).push(email);
    if (!located) continue;
    const why = describeSuppression(entry);
    await deps.store.recordEvent({
      ticketId: located.ticketId,
      at: failure.at,
      key: `delivery-suppressed:${failure.sesMessageId}:${email}`,
      type: 'delivery-suppressed',
      actor: failure.cause.startsWith('dsn:') ? 'delivery-report' : 'ses-feedback',
      detail: {
        address: email,
        reason: failure.reason,
        ...(recipient.diagnosticCode ? { diagnostic: recipient.diagnosticCode.slice(0, 500) } : recipient.complaintFeedbackType ? { diagnostic: `feedback type ${recipient.complaintFeedbackType}` } : recipient.status ? { diagnostic: recipient.status } : {}),
        ...(located.message?.purpose ? { purpose: located.message.purpose } : {}),
        sesMessageId: failure.sesMessageId,
      },
    });
    if (located.message?.purpose === 'staff-reply' && located.message.staffId) {
      outcome.staffNotices.push(await tellStaff(located.ticketId, located.message, email, why, failure, deps));
    }
  }
  deps.log?.('delivery failure recorded', { sesMessageId: failure.sesMessageId, reason: failure.reason, ticketId: outcome.ticketId, suppressed: outcome.suppressed.length, staffNotices: outcome.staffNotices });
  return outcome;
}

/**
 * Waits between looks for the record of the bounced mail. SES may report a bounce before the sender's record
 * of the send has landed (it is written after SES answers, and retried for about seven seconds), so a
 * notification looks again for about as long before it takes the mail for someone else's.
 */
export const LOCATE_RETRY_DELAYS_MS: readonly number[] = [100, 300, 1_000, 2_000, 4_000];

/** The ticket and outbound message that mail SES sent as `sesMessageId` belongs to, when it is ours. */
export async function locateOutbound(sesMessageId: string, deps: DeliveryFailureDependencies, retryDelaysMs: readonly number[] = []): Promise<{ ticketId: string; message?: TicketMessage } | undefined> {
  const key = messageIdKey(sesMessageIdHeader(sesMessageId, deps.settings.region));
  let indexed = (await deps.store.lookupMessageIds([key])).get(key);
  for (const delay of retryDelaysMs) {
    if (indexed) break;
    await sleep(delay);
    indexed = (await deps.store.lookupMessageIds([key])).get(key);
  }
  if (!indexed?.outbound) return undefined;
  const messages = await deps.store.listMessages(indexed.ticketId);
  const message = messages.find((candidate) => candidate.direction === 'outbound' && candidate.sesMessageId === sesMessageId);
  return { ticketId: indexed.ticketId, ...(message ? { message } : {}) };
}

async function tellStaff(ticketId: string, answer: TicketMessage, address: string, why: string, failure: DeliveryFailure, deps: DeliveryFailureDependencies): Promise<string> {
  const [staff, ticket] = await Promise.all([deps.roster.getStaff(answer.staffId!), deps.store.getTicket(ticketId)]);
  if (!staff || !ticket) return 'no-staff';
  const { settings } = deps;
  const discriminator = ownMessageDiscriminator(`delivery-failed:${failure.sesMessageId}:${address}`);
  const mail = buildDeliveryFailedNotice({
    ref: ticket.ref,
    to: staff.email,
    address,
    why,
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    messageId: ownMessageIdFor('notice', ticket.id, settings.supportAddress, settings.replyTokenSecret, discriminator),
    answerMessageIds: [answer.originalMessageId, answer.messageId].filter((id): id is string => Boolean(id)),
  });
  // Placed by the answer it is about, not by the report: a second report of the same bounce finds this item.
  const at = answer.sentAt ?? answer.receivedAt;
  return (await sendStaffNotice({ ticketId: ticket.id, staffId: staff.id, mail, purpose: 'delivery-failed-notice', discriminator, at }, deps)).status;
}
