/**
 * Mail the desk sends its own staff: the notification of a customer's new text (answered by replying to it),
 * and the short notice that an emailed reply was not relayed. Staff mail is in English.
 */
import type { Staff } from '../roster/model';
import type { Ticket, TicketFlag, Tier } from '../tickets/model';
import type { OutboundMail } from './acknowledgement';
import { boundedReferences, echoSubject, REPLY_ABOVE_MARKER, sanitiseDisplayName, staffNoticeMail, ticketSubject } from './template-parts';

/** The customer's text is quoted up to this many characters; the rest is on the ticket. */
export const MAX_NOTIFIED_TEXT_CHARS = 10_000;

export interface StaffNotificationInput {
  ticket: Pick<Ticket, 'ref' | 'subject' | 'tier' | 'priority' | 'flags' | 'firstResponseDueAt'>;
  assignee: Pick<Staff, 'email'>;
  /** Who the customer is, as the roster and the tickets know them. */
  customer: {
    address: string;
    /** The roster's tier for the address (an unverified sender's is shown beside the warning). */
    tier: Tier;
    /** Their tickets that are not closed, this one included. */
    openTickets: number;
    /** When they last wrote before this message (ISO-8601); undefined when this is their first. */
    lastContactAt?: string;
  };
  /** The customer's new text, quoted history and signature already removed. */
  text: string;
  /** The stored text was already cut to the storage limit. */
  textTruncated?: boolean;
  /** Attachments of the customer's message, by name; they stay on the ticket. */
  attachmentNames?: readonly string[];
  /** Why this person got the ticket (`RoutingDecision.reason`). */
  assignmentReason: string;
  /** A customer's follow-up on a ticket already notified, rather than a new ticket. */
  followUp: boolean;
  /** The desk's support address and the name its staff mail comes from (e.g. "Concierge"). */
  support: { name: string; address: string };
  /** `staffReplyAddressFor(support, ticket, assignee.id, secret)`. */
  replyAddress: string;
  /** The desk's own Message-ID for this notification (SES replaces it; it travels in References). */
  messageId: string;
  /**
   * Earlier notifications of this ticket to this person, oldest first: the Message-ID SES gave each (what the
   * staff member's mailbox holds) and the desk's own id, so that a follow-up threads under them.
   */
  previousNotifications?: ReadonlyArray<{ messageId?: string; ownMessageId?: string }>;
}

const FLAG_WARNINGS: Record<TicketFlag, string> = {
  'unverified-sender':
    'UNVERIFIED SENDER: authentication does not prove this From address; the mail may be forged. Do not discuss the account or act on requests until the sender is verified.',
  'stranger-reference': 'STRANGER REFERENCE: the sender named a ticket they are not a party to.',
  'security-incident': 'SECURITY INCIDENT: account takeover, unauthorized withdrawal, frozen assets or lost 2FA. Urgent.',
  'secret-exposed':
    'SECRET EXPOSED: the customer sent a secret (removed below and from the stored ticket); they were told to treat it as compromised. Urgent.',
};

/** The notification an assignee gets for a customer's new text; they answer by replying to it. */
export function buildStaffNotification(input: StaffNotificationInput): OutboundMail {
  const { ticket, customer } = input;
  const warnings = ticket.flags.map((flag) => `!! ${FLAG_WARNINGS[flag]}`);
  const quoted = quoteCustomerText(input.text, input.textTruncated === true);
  const attachments = (input.attachmentNames ?? []).map((name) => echoSubject(name)).filter((name) => name !== '');
  const text = [
    REPLY_ABOVE_MARKER,
    '',
    `Ticket ${ticket.ref} · ${ticket.tier === 'vip' ? 'VIP' : 'standard'}${ticket.priority === 'urgent' ? ' · URGENT' : ''} · ${input.followUp ? 'follow-up from the customer' : 'new ticket'}`,
    ...(warnings.length > 0 ? ['', ...warnings] : []),
    '',
    `Why you: ${oneLine(input.assignmentReason)}.`,
    '',
    'The customer wrote:',
    '',
    ...quoted,
    ...(attachments.length > 0 ? ['', `Attachments (on the ticket): ${attachments.join(', ')}`] : []),
    '',
    'Customer',
    `  Address: ${customer.address}`,
    `  Tier: ${customer.tier === 'vip' ? 'VIP' : 'standard'}`,
    `  Open tickets: ${customer.openTickets}`,
    `  Last contact: ${customer.lastContactAt ? formatInstant(customer.lastContactAt) : 'none before this ticket'}`,
    `  First response due: ${formatInstant(ticket.firstResponseDueAt)}`,
    '',
    `Reply to this email to answer. Only what you write above the line "${REPLY_ABOVE_MARKER}" is sent, from ${input.support.address} with your name; quoted text and your signature are left out.`,
  ];
  const previous = input.previousNotifications ?? [];
  const latest = previous.at(-1);
  const inReplyTo = latest?.messageId ?? latest?.ownMessageId;
  const references = boundedReferences([...previous.flatMap((sent) => [sent.ownMessageId, sent.messageId]), input.messageId]);
  return {
    from: { name: sanitiseDisplayName(input.support.name), address: input.support.address },
    to: input.assignee.email,
    replyTo: input.replyAddress,
    subject: ticketSubject(ticket.ref, ticket.subject, { reply: input.followUp }),
    text: text.join('\n'),
    messageId: input.messageId,
    ...(inReplyTo ? { inReplyTo } : {}),
    references,
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Concierge-Ticket': ticket.ref,
    },
  };
}

function quoteCustomerText(text: string, alreadyTruncated: boolean): string[] {
  const body = text.trim();
  if (body === '') return ['  (no text; see the ticket for attachments)'];
  const cut = body.length > MAX_NOTIFIED_TEXT_CHARS;
  const shown = cut ? body.slice(0, MAX_NOTIFIED_TEXT_CHARS) : body;
  // The customer's lines are indented so that none of them can pass for the desk's own lines or the marker.
  const lines = shown.split(/\r\n?|\n/).map((line) => (line === '' ? '' : `    ${line}`));
  if (cut) {
    lines.push('', `  [Cut here: the message is longer than ${MAX_NOTIFIED_TEXT_CHARS.toLocaleString('en')} characters. The whole text is on the ticket.]`);
  } else if (alreadyTruncated) {
    lines.push('', '  [Cut here: the message was longer than the desk stores as text. The whole message is kept with the ticket.]');
  }
  return lines;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim().replace(/\.$/, '');
}

/** `2026-11-21 10:00 UTC`: staff work round the clock across time zones; one unambiguous zone. */
export function formatInstant(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Why an emailed staff reply was not relayed, as the desk tells its (authenticated) sender:
 * - `wrong-sender`: the reply address names another staff member.
 * - `invalid-address`: the reply address's signature does not verify, or names no ticket.
 * - `empty-reply`: nothing was written above the quoted notification.
 * - `not-assignee`: the ticket is assigned to someone else now.
 * - `ticket-closed`: the ticket is closed.
 */
export type ReplyRejectionReason = 'wrong-sender' | 'invalid-address' | 'empty-reply' | 'not-assignee' | 'ticket-closed' | 'support-address';

export const REPLY_REJECTION_TEXT: Record<ReplyRejectionReason, string> = {
  'wrong-sender': 'The address you replied to belongs to a notification sent to another member of staff. Only the person it was sent to can answer through it.',
  'invalid-address': 'The address you replied to is not a valid reply address for this ticket.',
  'empty-reply': 'The reply has no text above the quoted notification. Write your answer above the line "' + REPLY_ABOVE_MARKER + '".',
  'not-assignee': 'The ticket is assigned to someone else now, so your reply was not sent on their behalf.',
  'ticket-closed': 'The ticket is closed. Reopen it first if the customer still needs an answer.',
  'support-address':
    'You wrote to the support address itself, so nothing was sent to the customer. To answer, reply to the notification: its reply address (Reply-To) carries the ticket and your name.',
};

export interface ReplyRejectedNoticeInput {
  /** The ticket's reference, when the reply address named one. */
  ref?: string;
  reason: ReplyRejectionReason;
  /** The authenticated staff sender the notice goes to. */
  to: string;
  /** Their reply's Message-ID, so the notice threads under it. */
  inReplyTo?: string;
  support: { name: string; address: string };
  messageId: string;
}

/**
 * The short notice to an authenticated staff sender whose reply was not relayed. It says why and names the
 * ticket's reference, nothing more: the sender may not be the ticket's assignee, so nothing of the customer
 * (address, subject, text) is repeated. Only for senders the roster knows and authentication proves: anyone
 * else gets nothing, so a forged reply cannot make the desk write to an address of the forger's choosing.
 */
export function buildReplyRejectedNotice(input: ReplyRejectedNoticeInput): OutboundMail {
  const token = input.ref ? `[#${input.ref}] ` : '';
  const text = [
    input.ref ? `Your reply about ticket ${input.ref} was not sent to the customer.` : 'Your reply was not sent to anyone.',
    '',
    REPLY_REJECTION_TEXT[input.reason],
    '',
    'Nothing reached the customer. This notice is automatic; the attempt is recorded on the ticket.',
  ];
  return staffNoticeMail({ ...(input.ref ? { ref: input.ref } : {}), to: input.to, subject: `${token}Your reply was not sent`, lines: text, support: input.support, messageId: input.messageId, thread: [input.inReplyTo] });
}
