/**
 * Staff hear of customer text by email: the assignee of a new ticket or of a customer's follow-up, and the
 * leads when routing found nobody. Each notification is sent once per customer message and recipient (its
 * key is derived from the delivery), threads under the earlier notifications of the same ticket to the same
 * person, and carries a reply address bound to the ticket and to that person.
 */
import { buildStaffNotification } from '../outbound/notification';
import type { SendOnceOutcome } from '../outbound/send-once';
import type { MailSender } from '../ports/mail-sender';
import type { TicketStore } from '../ports/ticket-store';
import type { Staff } from '../roster/model';
import type { Ticket, TicketMessage, Tier } from './model';
import { outboundMessage, sendOutboundMessage } from './outbound-messages';
import { ownMessageDiscriminator, ownMessageIdFor } from './references';
import { staffReplyAddressFor } from './staff-reply-address';
import type { DeskSettings } from './staff-replies';

/** The customer's other tickets read to say how many are open: the newest this many. */
const RECENT_TICKETS_READ = 20;

export interface NotificationDependencies {
  store: Pick<TicketStore, 'listMessages' | 'listTicketsByCustomer' | 'outboundLedger'>;
  mailSender: MailSender;
  settings: DeskSettings;
  now?: () => Date;
  newClaimHolder?: () => string;
}

export interface NotifyInput {
  ticket: Ticket;
  recipient: Staff;
  /** The customer's message the notification carries. */
  message: TicketMessage;
  /** Why this person hears of it (routing's reason, or why the leads are told). */
  reason: string;
  followUp: boolean;
  /** The roster's tier for the customer (a stranger's is `standard`). */
  customerTier: Tier;
}

/** Sends `recipient` the notification of `message`, once. */
export async function notifyStaff(input: NotifyInput, deps: NotificationDependencies): Promise<SendOnceOutcome> {
  const { ticket, recipient, message, settings } = { ...input, settings: deps.settings };
  const discriminator = ownMessageDiscriminator(`${message.key}\n${recipient.id}`);
  const [messages, recent] = await Promise.all([
    input.followUp ? deps.store.listMessages(ticket.id) : Promise.resolve([] as TicketMessage[]),
    deps.store.listTicketsByCustomer(ticket.customer, RECENT_TICKETS_READ),
  ]);
  const previousNotifications = messages
    .filter((earlier) => earlier.purpose === 'notification' && earlier.staffId === recipient.id && earlier.sendState === 'sent' && earlier.key !== `~note:${discriminator}`)
    .map((earlier) => ({ messageId: earlier.messageId, ...(earlier.originalMessageId ? { ownMessageId: earlier.originalMessageId } : {}) }));
  const others = recent.items.filter((other) => other.id !== ticket.id);
  const lastContactAt = input.followUp
    ? messages.filter((earlier) => earlier.direction === 'inbound' && earlier.key !== message.key).at(-1)?.receivedAt
    : others.map((other) => other.updatedAt).sort().at(-1);
  const mail = buildStaffNotification({
    ticket,
    assignee: recipient,
    customer: {
      address: ticket.customer,
      tier: input.customerTier,
      openTickets: recent.items.filter((other) => other.status !== 'closed').length + (recent.items.some((other) => other.id === ticket.id) ? 0 : 1),
      ...(lastContactAt ? { lastContactAt } : {}),
    },
    text: message.text,
    ...(message.textTruncated ? { textTruncated: true } : {}),
    attachmentNames: message.attachments.map((attachment) => attachment.filename),
    assignmentReason: input.reason,
    followUp: input.followUp,
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    replyAddress: staffReplyAddressFor(settings.supportAddress, ticket, recipient.id, settings.replyTokenSecret),
    messageId: ownMessageIdFor('note', ticket.id, settings.supportAddress, settings.replyTokenSecret, discriminator),
    previousNotifications,
  });
  const notification = outboundMessage(mail, {
    ticketId: ticket.id,
    key: `~note:${discriminator}`,
    purpose: 'notification',
    staffId: recipient.id,
    // The customer's words are stored once, on their own message; the notification keeps only its frame.
    text: `Notification to ${recipient.name} <${recipient.email}>: ${input.reason}`,
    classification: { kind: 'auto-reply', reason: 'notification sent by Concierge' },
    language: 'en',
    receivedAt: message.receivedAt,
  });
  return sendOutboundMessage(notification, mail, deps);
}
