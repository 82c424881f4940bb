/**
 * Mail the desk sends for a ticket as a message of its own (a staff notification, a relayed answer, a notice to
 * staff): the item the ticket lists, keyed by what caused it, and its send-once over that item.
 */
import { randomUUID } from 'node:crypto';
import type { Language } from '../mail/types';
import type { OutboundMail } from '../outbound/acknowledgement';
import { sendOnce, type SendOnceOutcome } from '../outbound/send-once';
import type { MailSender } from '../ports/mail-sender';
import type { TicketStore } from '../ports/ticket-store';
import type { OutboundPurpose, TicketMessage } from './model';
import { sesMessageIdHeader } from './references';

/** How long a claim on an outbound message is held while it is sent. */
export const OUTBOUND_CLAIM_LEASE_MS = 90_000;

export interface OutboundMessageFields {
  ticketId: string;
  /** `~<kind>:<digest of the cause>`: the same cause writes, and so claims, the same item. */
  key: string;
  purpose: OutboundPurpose;
  /** The member of staff who wrote it or receives it; absent for mail to the customer from the desk itself. */
  staffId?: string;
  /** What the ticket keeps as the message's text (a notification keeps only its frame, not the customer's words). */
  text: string;
  classification: TicketMessage['classification'];
  language: Language;
  /** The message's place in the ticket's history, part of its key. */
  receivedAt: string;
}

/** The outbound message as the ticket lists it, pending until its send-once claims it. */
export function outboundMessage(mail: OutboundMail, fields: OutboundMessageFields): TicketMessage {
  return {
    ...fields,
    direction: 'outbound',
    sendState: 'pending',
    from: mail.from.address,
    to: [mail.to],
    cc: [],
    messageId: mail.messageId,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
    subject: mail.subject,
    attachments: [],
  };
}

export interface OutboundSendDependencies {
  store: Pick<TicketStore, 'outboundLedger'>;
  mailSender: MailSender;
  settings: { region: string };
  now?: () => Date;
  newClaimHolder?: () => string;
}

/** Claims `message`, sends `mail` and records it, once (outbound/send-once.ts). */
export function sendOutboundMessage(message: TicketMessage, mail: OutboundMail, deps: OutboundSendDependencies): Promise<SendOnceOutcome> {
  return sendOnce({
    ledger: deps.store.outboundLedger(message),
    holder: (deps.newClaimHolder ?? randomUUID)(),
    mail,
    sender: deps.mailSender,
    wireMessageId: (sesMessageId) => sesMessageIdHeader(sesMessageId, deps.settings.region),
    now: deps.now ?? (() => new Date()),
    leaseMs: OUTBOUND_CLAIM_LEASE_MS,
  });
}

/**
 * A notice to a member of staff about their own mail (an answer not relayed, stopped by the guard, or not
 * delivered): its own outbound message keyed by `discriminator` and placed at `at`, sent once.
 */
export function sendStaffNotice(
  notice: { ticketId: string; staffId: string; mail: OutboundMail; purpose: Extract<OutboundPurpose, 'reply-rejected-notice' | 'reply-blocked-notice' | 'delivery-failed-notice'>; discriminator: string; at: string },
  deps: OutboundSendDependencies,
): Promise<SendOnceOutcome> {
  const message = outboundMessage(notice.mail, {
    ticketId: notice.ticketId,
    key: `~notice:${notice.discriminator}`,
    purpose: notice.purpose,
    staffId: notice.staffId,
    text: notice.mail.text,
    classification: { kind: 'auto-reply', reason: 'notice sent by Concierge' },
    language: 'en',
    receivedAt: notice.at,
  });
  return sendOutboundMessage(message, notice.mail, deps);
}
