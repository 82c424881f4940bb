/**
 * What the use cases need from storage, in the desk's own terms. One DynamoDB adapter implements it
 * (adapters/dynamodb/ticket-store.ts); the rules that decide what to store live in the use cases and the
 * domain modules, the adapter only makes each write atomic and idempotent.
 */
import type { AddressLookup } from './roster-store';
import type { KnownSuppression } from '../outbound/suppression-guard';
import type { Staff } from '../roster/model';
import type { Category, InboundReceipt, OutboundSendRecord, Priority, Ticket, TicketEvent, TicketFlag, TicketMessage, TicketSlaState, TicketStatus } from '../tickets/model';

export interface IndexedMessageId {
  ticketId: string;
  /** The id of mail Concierge sent (the one SES assigned): a bounce citing it may attach without being a party. */
  outbound?: boolean;
  /** Who sent the message with this id and under which SES id, for recognising the same mail re-delivered. */
  sender?: string;
  sesMessageId?: string;
  /** Whether that mail's From was proven (aligned authentication). */
  proven?: boolean;
}

/** Room for one more acknowledgement in the current clock hour: to this address, and from the whole desk. */
export interface AckAllowance {
  sender: string;
  /** `yyyy-mm-ddThh` (UTC). */
  hour: string;
  perSenderLimit: number;
  deskLimit: number;
}

export type OpenTicketResult =
  | { status: 'opened' }
  /** A ticket with this reference exists: the same mail delivered before, or another mail's reference. */
  | { status: 'exists'; existing: Ticket }
  /** DynamoDB refused an item over 400 KB; the caller quarantines rather than retrying forever. */
  | { status: 'too-large' };

export type FollowUpResult =
  | { status: 'recorded' }
  /** This SES delivery was stored before. */
  | { status: 'duplicate-delivery' }
  /** The same sender's mail with this Message-ID was stored under another SES id. */
  | { status: 'duplicate-origin' }
  /** The ticket's status or SLA is no longer as read: read it again and retry. */
  | { status: 'changed-meanwhile' }
  | { status: 'too-large' };

/** A ticket's SLA as folded by the writer, and the version it was folded from (the write's condition). */
export interface SlaWrite {
  next: TicketSlaState;
  readVersion: number;
}

export interface FollowUpOptions {
  reopen: boolean;
  reopenFromClosedFor?: string;
  /** The SLA with this message's event; absent for mail that moves no clock (machine mail, staff copied). */
  sla?: SlaWrite;
}

/** Fields staff change with the SLA they move (`PATCH /tickets/{id}`), and when. */
export interface SlaFieldsChange {
  priority?: Priority;
  category?: Category;
  updatedAt?: string;
  /** The first-response promise, when the priority moved it. */
  firstResponseDueAt?: string;
  /** The ticket's flags as they are to be (a message that held a secret adds `secret-exposed`). */
  flags?: TicketFlag[];
}

/**
 * Which SLA policy the due index was computed for (a fingerprint of it), and, while open tickets are being
 * re-indexed under a new one, that policy's fingerprint and the last ticket done.
 */
export interface SlaPolicyMark {
  fingerprint?: string;
  reindexing?: { fingerprint: string; after?: TicketPosition };
}

/** An entry of the SLA due index: the scan must look at `ticketId` at `checkAt`. */
export interface SlaDueEntry {
  checkAt: string;
  ticketId: string;
}

export interface MessageIdClaim {
  /** Normalised Message-ID (see tickets/references.ts messageIdKey). */
  key: string;
  ticketId: string;
  sender: string;
  sesMessageId: string;
  /**
   * The message's From was proven. A proven message may take over the entry of an unproven one with the same
   * sender and Message-ID: a forged copy sent first must not make the real message a duplicate.
   */
  proven: boolean;
  outbound?: boolean;
}

/** A delivery's own idempotent writes, carried by the write that records a send (one request instead of two). */
export interface AlongsideWrites {
  messages: readonly TicketMessage[];
  messageIds: readonly MessageIdClaim[];
  /** Events of the same delivery (a new ticket's assignment). */
  events?: readonly TicketEvent[];
}

/** Whether the writes carried alongside a send's record were stored (DynamoDB may refuse one as too large). */
export interface RecordedSend {
  alongside: 'stored' | 'too-large';
}

export interface Page<T> {
  items: T[];
  /** True when items follow the last one returned. */
  more: boolean;
}

/** Where a listing of tickets stopped: the last ticket returned. */
export interface TicketPosition {
  createdAt: string;
  id: string;
}

/** Where a listing of messages stopped: the last message returned. */
export interface MessagePosition {
  receivedAt: string;
  key: string;
}

/** What a report reads of a ticket: the fields that decide its SLA, without its subject, addresses or parties. */
export type TicketSlaFacts = Pick<Ticket, 'id' | 'tier' | 'priority' | 'category' | 'assignee' | 'createdAt' | 'firstRespondedAt' | 'status' | 'slaState'>;

export type TicketsOpenedResult =
  | { status: 'listed'; tickets: TicketSlaFacts[] }
  /** The range holds more than `limit` tickets; none of them was read. */
  | { status: 'too-many'; limit: number };

export type AssignmentChangeResult = 'changed' | 'changed-meanwhile' | 'unknown-staff';

/** What one batch read tells a person's mail (see TicketStore.lookupDelivery). */
export interface DeliveryLookup {
  messageIds: Map<string, IndexedMessageId>;
  /** The roster's record of the sender's address: a customer, or an alias of one. */
  sender?: AddressLookup;
  /** The roster as its directory lists it; load counters are not in it (RosterStore.staffCounters). */
  staff: Staff[];
  /** The sender's suppression record (absent when never suppressed), read in the same batch for the acknowledgement. */
  suppressionOf?: KnownSuppression;
}

export interface TicketStore {
  /** Which tickets the given normalised Message-IDs belong to (one batched read). */
  lookupMessageIds(keys: readonly string[]): Promise<Map<string, IndexedMessageId>>;
  /** `lookupMessageIds`, and in the same batched read the sender's roster record and the roster's directory. */
  lookupDelivery(keys: readonly string[], sender: string): Promise<DeliveryLookup>;
  getTicket(ticketId: string): Promise<Ticket | undefined>;

  /**
   * Writes a new ticket unless one with its reference exists. The acknowledgement's claim is part of the
   * ticket (`ticket.ack` is written as given), so only the ticket's creator can hold the first claim.
   */
  openTicket(ticket: Ticket): Promise<OpenTicketResult>;
  /** Idempotent writes that follow a ticket's creation: its messages and Message-ID index entries. */
  putMessages(messages: readonly TicketMessage[], messageIds: readonly MessageIdClaim[], events?: readonly TicketEvent[]): Promise<'recorded' | 'too-large'>;
  /** Adds a message to a ticket (reopening it when asked), atomically and once per delivery and origin. */
  appendFollowUp(message: TicketMessage, ownMessageId: MessageIdClaim | undefined, options: FollowUpOptions): Promise<FollowUpResult>;
  /** Records a delivery that made no message. False when it was recorded before. */
  recordReceipt(receipt: InboundReceipt): Promise<boolean>;

  /**
   * The acknowledgement's send-once record (see outbound/send-once.ts): the claim on the ticket, the outcome
   * on `message`, the acknowledgement as the ticket lists it. `alongside` rides in the same write as the
   * outcome when SES accepted the mail.
   */
  acknowledgementLedger(ticketId: string, message: TicketMessage, alongside?: AlongsideWrites): SendOnceLedger;
  /**
   * Counts one acknowledgement against the current hour's caps, for this sender and for the whole desk, both
   * or neither. Taken by the creator of a ticket whose claim it holds; a later claim counts atomically with
   * itself (SendOnceLedger.claim).
   */
  takeAckAllowance(allowance: AckAllowance): Promise<'granted' | 'over-ack-limit'>;
  /** Takes back one acknowledgement counted in `allowance`'s hour (after a send that certainly failed); best effort. */
  returnAckAllowance(allowance: AckAllowance): Promise<void>;

  /**
   * The send-once record of a message the desk sends that is its own item (a notification, a relayed answer,
   * a notice to staff): the claim and the outcome live on the message as the ticket lists it.
   */
  outboundLedger(message: TicketMessage): SendOnceLedger;

  /**
   * Assigns `ticket` (as read) to a staff id, or unassigns it, with the event and the assignees' open-ticket
   * counts in one atomic write; `changed-meanwhile` when the ticket no longer is as read.
   */
  assignTicket(ticket: Ticket, to: string | undefined, event: TicketEvent): Promise<AssignmentChangeResult>;
  /**
   * Sets `ticket`'s status (as read), with the event, its assignee's open-ticket count and the SLA the change
   * moves (conditional on the SLA as read), atomically.
   */
  changeStatus(ticket: Ticket, to: TicketStatus, event: TicketEvent, extra?: { firstRespondedAt?: string; sla?: TicketSlaState }): Promise<AssignmentChangeResult>;
  /**
   * Writes `ticket`'s SLA as `next`, with `change` and `events`, on condition that its SLA is as read
   * (`changed-meanwhile` otherwise). `next` is undefined for a ticket stored before the SLA engine.
   */
  writeTicketSla(ticket: Ticket, change: SlaFieldsChange, next: TicketSlaState | undefined, events: readonly TicketEvent[]): Promise<'changed' | 'changed-meanwhile'>;
  /** Entries of the SLA due index at or before `until`, earliest first; `after` continues a listing. */
  listSlaDue(until: string, limit: number, after?: SlaDueEntry): Promise<Page<SlaDueEntry>>;
  getSlaPolicyMark(): Promise<SlaPolicyMark | undefined>;
  putSlaPolicyMark(mark: SlaPolicyMark): Promise<void>;
  /** The tickets under `ids` as they are now (strongly consistent), in no order; missing ones are left out. */
  readTicketsNow(ids: readonly string[]): Promise<Ticket[]>;
  /** Records an event (idempotent: its key is derived from its cause). */
  recordEvent(event: TicketEvent): Promise<void>;
  /** A ticket's events in time order. */
  listEvents(ticketId: string): Promise<TicketEvent[]>;
  /** A staff member's tickets, newest first. */
  listTicketsByAssignee(staffId: string, limit: number, after?: TicketPosition): Promise<Page<Ticket>>;

  /** A customer's tickets, newest first: `limit` of them after `after`, and whether more follow. */
  listTicketsByCustomer(customer: string, limit: number, after?: TicketPosition): Promise<Page<Ticket>>;
  /** Newest tickets across customers, walking back month by month through `months` months up to `now`. */
  listRecentTickets(limit: number, options?: { after?: TicketPosition; now?: Date; months?: number }): Promise<Page<Ticket>>;
  /**
   * The tickets opened in [from, to), oldest first, as they are now (what a report reads of them); `too-many`
   * when the range holds more than `limit`, rather than some of them.
   */
  listTicketsOpenedBetween(from: Date, to: Date, limit: number): Promise<TicketsOpenedResult>;
  /** A ticket's messages in the order they arrived: `limit` of them after `after`, and whether more follow. */
  listMessagesPage(ticketId: string, limit: number, after?: MessagePosition): Promise<Page<TicketMessage>>;
  /** All of a ticket's messages in the order they arrived. */
  listMessages(ticketId: string): Promise<TicketMessage[]>;
  listQuarantined(monthIso: string, limit: number): Promise<InboundReceipt[]>;
  getReceipt(sesMessageId: string): Promise<InboundReceipt | undefined>;
}

export type ClaimResult =
  | { status: 'claimed' }
  /** Another holder's claim is still running. */
  | { status: 'busy' }
  /** Sent, refused, withheld or not needed: nothing to do. */
  | { status: 'settled'; record: OutboundSendRecord }
  /** A claim ran out mid-send: whether SES took the mail is unknowable; recorded as `unknown`. */
  | { status: 'abandoned' }
  | { status: 'over-ack-limit' };

/** The record behind one piece of mail sent at most once. Every change after the claim is the holder's alone. */
export interface SendOnceLedger {
  /** `pending` → `sending` for `holder` until `leaseUntil`; a `sending` record past its lease → `unknown`. */
  claim(holder: string, nowMs: number, leaseUntil: number, allowance?: AckAllowance): Promise<ClaimResult>;
  /** SES accepted the mail: record it as sent, with its ids (retried by the caller until it lands). */
  recordSent(holder: string, sent: { sesMessageId: string; messageId: string; ownMessageId: string; sentAt: string }): Promise<RecordedSend>;
  /** A send that certainly failed: back to `pending` so a retry may send. */
  release(holder: string): Promise<void>;
  /** A cap withheld the mail after it was claimed: never sent, and no retry sends it. */
  withhold(holder: string): Promise<void>;
  /** SES refused the mail for good. */
  reject(holder: string, error: string): Promise<void>;
  /** The recipient is on the suppression list: never sent, and no retry sends it; `error` says why. */
  suppress(holder: string, error: string): Promise<void>;
  /** The send failed in a way that may have come after SES accepted it: never send again. */
  settleUnknown(holder: string, error: string): Promise<void>;
}
