import { isValidReplySignature, messageIdKey, replyTokenIn, subjectTokenOf } from './references';
import type { Ticket } from './model';

/** The reads threading needs; the DynamoDB store provides them. */
export interface ThreadLookup {
  ticketIdsForMessageIds(messageIdKeys: string[]): Promise<Map<string, string>>;
  getTicket(ticketId: string): Promise<Ticket | undefined>;
  getTicketByRef(ref: string): Promise<Ticket | undefined>;
}

export interface ThreadingInput {
  inReplyTo: string[];
  references: string[];
  /** Every address the message was delivered to (SES receipt recipients plus To and Cc). */
  recipients: string[];
  subject: string;
  sender: string;
  /** False when DMARC failed or SPF and DKIM both failed: the From address proves nothing. */
  senderVerified: boolean;
  /** Bounces and auto-replies: they may attach to a ticket by id or reply address, but never open one. */
  machineGenerated: boolean;
}

export type ThreadVia = 'headers' | 'reply-address' | 'subject-token';

export type ThreadDecision =
  | { kind: 'existing'; ticket: Ticket; via: ThreadVia }
  | { kind: 'new'; strangerReference?: { ticketId: string; via: ThreadVia } };

/**
 * Message ids to try, newest first: In-Reply-To names the parent, References lists the ancestry oldest
 * first, so it is read backwards.
 */
export function candidateMessageIds(inReplyTo: string[], references: string[]): string[] {
  return [...new Set([...inReplyTo, ...[...references].reverse()].map(messageIdKey))];
}

export function isParty(ticket: Ticket, sender: string, senderVerified: boolean): boolean {
  return senderVerified && ticket.parties.includes(sender.toLowerCase());
}

/**
 * Finds the ticket a message belongs to: (1) In-Reply-To/References, (2) a signed reply address, (3) a
 * subject token. A sender who is not a party to the ticket found never writes into it; the message opens a
 * new ticket that records which ticket was referred to.
 */
export async function resolveThread(
  input: ThreadingInput,
  lookup: ThreadLookup,
  support: { address: string; replyTokenSecret: string },
): Promise<ThreadDecision> {
  const decide = (ticket: Ticket, via: ThreadVia, partyCheck: boolean): ThreadDecision =>
    !partyCheck || isParty(ticket, input.sender, input.senderVerified)
      ? { kind: 'existing', ticket, via }
      : { kind: 'new', strangerReference: { ticketId: ticket.id, via } };

  const candidates = candidateMessageIds(input.inReplyTo, input.references);
  if (candidates.length > 0) {
    const known = await lookup.ticketIdsForMessageIds(candidates);
    for (const candidate of candidates) {
      const ticketId = known.get(candidate);
      const ticket = ticketId ? await lookup.getTicket(ticketId) : undefined;
      if (ticket) return decide(ticket, 'headers', !input.machineGenerated);
    }
  }

  const token = replyTokenIn(input.recipients, support.address);
  if (token) {
    const ticket = await lookup.getTicketByRef(token.ref);
    if (ticket && isValidReplySignature(ticket.id, token.signature, support.replyTokenSecret)) {
      return decide(ticket, 'reply-address', !input.machineGenerated);
    }
  }

  const ref = subjectTokenOf(input.subject);
  if (ref) {
    const ticket = await lookup.getTicketByRef(ref);
    if (ticket) {
      const decision = decide(ticket, 'subject-token', true);
      // Machine mail quoting a subject token is not a stranger writing in: it just finds no ticket.
      if (decision.kind === 'new' && input.machineGenerated) return { kind: 'new' };
      return decision;
    }
  }
  return { kind: 'new' };
}
