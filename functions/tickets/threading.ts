import { isValidReplySignature, messageIdKey, replyTokenIn, subjectTokenOf } from './references';
import type { Ticket } from './model';

/** The reads threading needs; the DynamoDB store provides them. */
export interface ThreadLookup {
  ticketIdsForMessageIds(messageIdKeys: string[]): Promise<Map<string, { ticketId: string; outbound: boolean }>>;
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
  /** How far SES's verdicts vouch for the From address; see senderTrust in receive-message. */
  senderTrust: SenderTrust;
  /** Bounces and auto-replies: they may attach to a ticket by the id of our own mail, but never open one. */
  machineGenerated: boolean;
}

/**
 * `aligned`: DMARC passed, the From domain is proven. `plausible`: nothing failed and SPF or DKIM passed for
 * some domain. `unknown`: no verdict either way. `failed`: DMARC failed, or SPF and DKIM both failed.
 */
export type SenderTrust = 'aligned' | 'plausible' | 'unknown' | 'failed';

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

/**
 * Whether `sender` may write into `ticket` by a given route. Headers and the signed reply address carry ids
 * a stranger cannot guess, so a party whose mail did not fail authentication may use them; a subject token
 * is short and may be seen by others, so it counts only with DMARC alignment.
 */
export function isParty(ticket: Ticket, sender: string, trust: SenderTrust, via: ThreadVia): boolean {
  if (!ticket.parties.includes(sender.toLowerCase())) return false;
  if (via === 'subject-token') return trust === 'aligned';
  return trust !== 'failed' && trust !== 'unknown';
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
    !partyCheck || isParty(ticket, input.sender, input.senderTrust, via)
      ? { kind: 'existing', ticket, via }
      : { kind: 'new', strangerReference: { ticketId: ticket.id, via } };

  const candidates = candidateMessageIds(input.inReplyTo, input.references);
  if (candidates.length > 0) {
    const known = await lookup.ticketIdsForMessageIds(candidates);
    for (const candidate of candidates) {
      const indexed = known.get(candidate);
      const ticket = indexed ? await lookup.getTicket(indexed.ticketId) : undefined;
      // A bounce names the mail it bounces, so machine mail that cites our own outbound id may attach
      // without being a party; citing anything else, it is held to the same rule as a person.
      if (ticket) return decide(ticket, 'headers', !(input.machineGenerated && indexed?.outbound));
    }
  }

  const token = replyTokenIn(input.recipients, support.address);
  if (token) {
    const ticket = await lookup.getTicketByRef(token.ref);
    if (ticket && isValidReplySignature(ticket.id, token.signature, support.replyTokenSecret)) {
      return decide(ticket, 'reply-address', true);
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
