/**
 * What the SLA scan sends staff: the assignee's warning when a target reaches `warnAt`, and the escalation of
 * a breach to the assignee's backup and the leads. Each says which target, how much time is left or how late
 * it is, and who the customer is; the ticket reference is in the subject. Staff mail is in English.
 */
import type { Staff } from '../roster/model';
import type { SlaTarget } from '../sla/policy';
import type { Ticket } from '../tickets/model';
import type { OutboundMail } from './acknowledgement';
import { formatInstant } from './notification';
import { echoSubject, REPLY_ABOVE_MARKER, sanitiseDisplayName } from './template-parts';

const TARGET_NAMES: Record<SlaTarget, string> = {
  firstResponse: 'first response',
  nextResponse: 'next response',
  resolution: 'resolution',
};

export interface SlaMailInput {
  ticket: Pick<Ticket, 'ref' | 'subject' | 'tier' | 'priority' | 'category' | 'customer' | 'status' | 'createdAt'>;
  kind: 'warning' | 'breach';
  target: SlaTarget;
  dueAt: string;
  now: Date;
  recipient: Pick<Staff, 'email' | 'name'>;
  /** The assignee, when there is one (for an escalation: whose ticket it is). */
  assignee?: Pick<Staff, 'id' | 'name' | 'email'>;
  /** Why this person gets it (assignee, backup of …, lead). */
  reason: string;
  support: { name: string; address: string };
  /** `staffReplyAddressFor(support, ticket, recipient.id, secret)`: replying answers the customer, as from a notification. */
  replyAddress: string;
  messageId: string;
}

/** `90` → `1m 30s`, `7260` → `2h 1m`: how early or late, to the second under an hour. */
export function describeSeconds(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${rest}s`;
  return `${rest}s`;
}

export function buildSlaMail(input: SlaMailInput): OutboundMail {
  const { ticket } = input;
  const target = TARGET_NAMES[input.target];
  const offset = (Date.parse(input.dueAt) - input.now.getTime()) / 1000;
  const headline =
    input.kind === 'warning'
      ? `SLA warning: ${target} due in ${describeSeconds(offset)}`
      : `SLA breached: ${target} ${describeSeconds(-offset)} late`;
  const text = [
    REPLY_ABOVE_MARKER,
    '',
    input.kind === 'warning'
      ? `The ${target} of ticket ${ticket.ref} is due at ${formatInstant(input.dueAt)}, in ${describeSeconds(offset)}. Answer the customer before then.`
      : `The ${target} of ticket ${ticket.ref} was due at ${formatInstant(input.dueAt)} and is ${describeSeconds(-offset)} late. It is escalated to you: make sure someone answers now.`,
    '',
    `Why you: ${input.reason}.`,
    '',
    'Ticket',
    `  Reference: ${ticket.ref}`,
    `  Subject: ${echoSubject(ticket.subject) || '(no subject)'}`,
    `  Priority: ${ticket.priority} · category ${ticket.category ?? 'other'} · status ${ticket.status}`,
    `  Opened: ${formatInstant(ticket.createdAt)}`,
    `  Assignee: ${input.assignee ? `${input.assignee.name} <${input.assignee.email}> (${input.assignee.id})` : 'nobody'}`,
    '',
    'Customer',
    `  Address: ${ticket.customer}`,
    `  Tier: ${ticket.tier === 'vip' ? 'VIP' : 'standard'}`,
    '',
    `Reply to this email to answer the customer. Only what you write above the line "${REPLY_ABOVE_MARKER}" is sent, from ${input.support.address} with your name.`,
  ];
  return {
    from: { name: sanitiseDisplayName(input.support.name), address: input.support.address },
    to: input.recipient.email,
    replyTo: input.replyAddress,
    subject: `[#${ticket.ref}] ${headline}`,
    text: text.join('\n'),
    messageId: input.messageId,
    references: [input.messageId],
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Concierge-Ticket': ticket.ref,
    },
  };
}
