import type { SenderTrust } from '../mail/trust';
import type { IndexedMessageId } from '../ports/ticket-store';
import { isValidReplySignature, messageIdKey, replyTokenIn, subjectTokenOf, ticketOfOwnMessageId } from './references';
import type { Ticket } from './model';

/** The reads threading needs; the ticket store provides them. */
export interface ThreadLookup {
  lookupMessageIds(messageIdKeys: readonly string[]): Promise<Map<string, IndexedMessageId>>;
  getTicket(ticketId: string): Promise<Ticket | undefined>;
}

export interface ThreadingInput {
  inReplyTo: string[];
  references: string[];
  /** Every address the message was delivered to (SES receipt recipients plus To and Cc). */
  recipients: string[];
  subject: string;
  sender: string;
  /** How far SES's verdicts vouch for the From address (mail/trust.ts). */
  senderTrust: SenderTrust;
  /** Bounces and auto-replies: they may attach to a ticket by the id of our own mail, but never open one. */
  machineGenerated: boolean;
  /**
   * A delivery status report (null envelope sender, or `multipart/report`): the one kind of mail that names our
   * mail without being written by a party. `Auto-Submitted` alone is anyone's to add.
   */
  deliveryReport?: boolean;
}

export type ThreadVia = 'headers' | 'reply-address' | 'subject-token';

export type ThreadDecision =
  | { kind: 'existing'; ticket: Ticket; via: ThreadVia }
  | { kind: 'new'; strangerReference?: { ticketId: string; via: ThreadVia } };

/**
 * Message ids to try, newest first: In-Reply-To names the parent, References lists the ancestry oldest
 * first, so it is read backwards. Ids as written, not yet normalised.
 */
export function candidateMessageIds(inReplyTo: string[], references: string[]): string[] {
  return [...new Set([...inReplyTo, ...[...references].reverse()])];
}

/**
 * Whether `sender` may write into `ticket`. Whatever route found the ticket, only its parties may, and only
 * when authentication aligned with the From domain proves the From address: anything less lets a stranger
 * borrow a party's address.
 */
export function isParty(ticket: Ticket, sender: string, trust: SenderTrust): boolean {
  return trust === 'aligned' && ticket.parties.includes(sender.toLowerCase());
}

/**
 * Finds the ticket a message belongs to: (1) In-Reply-To/References — Concierge's own signed ids name their
 * ticket directly, others are looked up in one batch; (2) a signed reply address; (3) a subject token. A
 * sender who is not a party to the ticket found never writes into it; the message opens a new ticket that
 * records which ticket was referred to.
 */
export async function resolveThread(
  input: ThreadingInput,
  lookup: ThreadLookup,
  support: { address: string; replyTokenSecret: string },
): Promise<ThreadDecision> {
  const decide = (ticket: Ticket, via: ThreadVia, partyCheck: boolean): ThreadDecision =>
    !partyCheck || isParty(ticket, input.sender, input.senderTrust)
      ? { kind: 'existing', ticket, via }
      : { kind: 'new', strangerReference: { ticketId: ticket.id, via } };

  const candidates = candidateMessageIds(input.inReplyTo, input.references);
  if (candidates.length > 0) {
    const indexed = await lookup.lookupMessageIds(candidates.filter((id) => !ticketOfOwnMessageId(id, support.address, support.replyTokenSecret)).map(messageIdKey));
    for (const candidate of candidates) {
      const ownTicketId = ticketOfOwnMessageId(candidate, support.address, support.replyTokenSecret);
      const entry = ownTicketId ? undefined : indexed.get(messageIdKey(candidate));
      const ticketId = ownTicketId ?? entry?.ticketId;
      const ticket = ticketId ? await lookup.getTicket(ticketId) : undefined;
      // A bounce names the mail it bounces, so machine mail that cites the id of mail we sent (our own signed
      // id, or the one SES gave it) may attach without being a party; citing anything else, it is held to the
      // same rule as a person.
      const citesOurMail = Boolean(ownTicketId) || entry?.outbound === true;
      const reportOnOurMail = input.machineGenerated && input.deliveryReport === true && citesOurMail && input.senderTrust !== 'failed';
      if (ticket) {
        const decision = decide(ticket, 'headers', !reportOnOurMail);
        // Machine mail that may not attach is no stranger writing in: it just finds no ticket.
        return decision.kind === 'new' && input.machineGenerated ? { kind: 'new' } : decision;
      }
    }
  }

  const token = replyTokenIn(input.recipients, support.address);
  if (token) {
    const ticket = await lookup.getTicket(token.ref);
    if (ticket && isValidReplySignature(ticket.id, token.signature, support.replyTokenSecret)) {
      return decide(ticket, 'reply-address', true);
    }
  }

  const ref = subjectTokenOf(input.subject);
  if (ref) {
    const ticket = await lookup.getTicket(ref);
    if (ticket) {
      const decision = decide(ticket, 'subject-token', true);
      // Machine mail quoting a subject token is not a stranger writing in: it just finds no ticket.
      if (decision.kind === 'new' && input.machineGenerated) return { kind: 'new' };
      return decision;
    }
  }
  return { kind: 'new' };
}
