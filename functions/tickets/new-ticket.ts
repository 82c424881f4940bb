/** How a ticket opened by a message looks: plain data in, plain data out, no I/O. */
import { isOwnAddress } from '../mail/classify';
import type { SenderTrust } from '../mail/trust';
import type { InboundMail, Language } from '../mail/types';
import { categorize } from '../sla/categorize';
import type { SlaPolicy } from '../sla/policy';
import type { OutboundSendRecord, Ticket, TicketFlag, Tier } from './model';
import { firstResponseDueAtOf, openingSlaState } from './sla-state';
import type { ThreadDecision } from './threading';

export const MAX_STORED_SUBJECT_CHARS = 998;
/** What a message holding a secret is, whatever else it is about. */
export const SECRET_EXPOSED = { category: 'security', priority: 'urgent' } as const;
/** Addresses a ticket lets write into it: the customer and the people they copied, at most this many. */
export const MAX_TICKET_PARTIES = 50;
/** No deliverable address is longer (RFC 5321's path limit); a longer Cc entry is no one to write in. */
export const MAX_PARTY_ADDRESS_CHARS = 254;

export interface NewTicketInput {
  ref: string;
  mail: Pick<InboundMail, 'subject' | 'cc'>;
  sender: string;
  visibleText: string;
  language: Language;
  decision: Extract<ThreadDecision, { kind: 'new' }>;
  trust: SenderTrust;
  /** The desk's own addresses: never a party, or the desk would write into its own tickets. */
  ownAddresses: readonly string[];
  /** The SLA policy: the ticket's clocks start with its first message, on its tier's calendar. */
  slaPolicy: SlaPolicy;
  openedBy: Ticket['openedBy'];
  ack: OutboundSendRecord;
  now: Date;
  /** What routing decided (roster/routing.ts): the lane sets the tier and so the first-response promise. */
  routing?: { tier: Tier; assignee?: string; flags: readonly TicketFlag[] };
  /** The message held a secret (redacted before this): a security matter, urgent whatever it is about. */
  secretExposed?: boolean;
}

/**
 * The ticket a person's message opens. Anything short of a From address proven by aligned authentication is
 * flagged `unverified-sender`; a message that referred to a ticket its sender is not a party to is flagged
 * `stranger-reference`; security incidents are urgent whatever the tier (sla/categorize.ts), and so is a
 * message that gave a secret away (`secret-exposed`).
 */
export function newTicket(input: NewTicketInput): Ticket {
  const { category, priority } = input.secretExposed ? SECRET_EXPOSED : categorize(input.mail.subject, input.visibleText);
  const flags: TicketFlag[] = input.secretExposed ? ['secret-exposed'] : [];
  if (input.trust !== 'aligned') flags.push('unverified-sender');
  if (input.decision.strangerReference) flags.push('stranger-reference');
  if (priority === 'urgent' && !input.secretExposed) flags.push('security-incident');
  for (const flag of input.routing?.flags ?? []) if (!flags.includes(flag)) flags.push(flag);
  const tier: Tier = input.routing?.tier ?? 'standard';
  const createdAt = input.now.toISOString();
  const slaState = openingSlaState(tier, priority, createdAt, input.slaPolicy);
  // Only a proven sender chooses who else may write in; a forged From must not hand its Cc the ticket.
  const copied = input.trust !== 'aligned' ? [] : input.mail.cc
    .slice(0, MAX_TICKET_PARTIES)
    .map((entry) => entry.address)
    .filter((address) => address && address.length <= MAX_PARTY_ADDRESS_CHARS && !isOwnAddress(address, input.ownAddresses));
  return {
    id: input.ref,
    ref: input.ref,
    subject: input.mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS),
    status: 'open',
    customer: input.sender,
    parties: [...new Set([input.sender, ...copied])].filter(Boolean).slice(0, MAX_TICKET_PARTIES),
    flags,
    ...(input.decision.strangerReference ? { referencedTicketId: input.decision.strangerReference.ticketId } : {}),
    language: input.language,
    tier,
    priority,
    category,
    slaState,
    ...(input.routing?.assignee ? { assignee: input.routing.assignee, assignedAt: createdAt } : {}),
    createdAt,
    updatedAt: createdAt,
    firstResponseDueAt: firstResponseDueAtOf(slaState, input.slaPolicy),
    messageCount: 1,
    openedBy: input.openedBy,
    ack: input.ack,
  };
}
