import type { Classification, Language, Verdicts } from '../mail/types';
import type { SecretKind } from '../secrets/detect';
import type { Category } from '../sla/categorize';
import type { SlaPriority } from '../sla/policy';
import type { SlaMarks } from '../sla/schedule';
import type { SlaTrack } from '../sla/track';

export type TicketStatus = 'open' | 'waiting-on-customer' | 'closed';
export type Tier = 'standard' | 'vip';
/** `urgent` is for security incidents, whatever the tier; the SLA policy has targets for each. */
export type Priority = SlaPriority;
export type { Category };

/**
 * A ticket's SLA as stored: the clocks folded so far (sla/track.ts), what the scan did about them
 * (sla/schedule.ts), and `checkAt`, when the scan must look next (the due index's sort key; absent when
 * nothing is left to watch). `version` counts the writes: each one is conditional on the version it read, so
 * two writers never fold their events into the same state.
 */
export interface TicketSlaState {
  track: SlaTrack;
  marks: SlaMarks;
  version: number;
  checkAt?: string;
}

/**
 * Why a ticket needs a human's eye before anyone trusts it:
 * - `unverified-sender`: the From address is not proven by authentication aligned with its domain (see
 *   mail/trust.ts); it may be forged.
 * - `stranger-reference`: the sender referred to a ticket they are not a party to.
 * - `security-incident`: account takeover, unauthorized withdrawal, frozen assets, lost 2FA.
 * - `secret-exposed`: the customer sent a secret (recovery phrase, private key, password, one-time code); it
 *   was redacted before anything was stored, and the customer was warned.
 */
export type TicketFlag = 'unverified-sender' | 'stranger-reference' | 'security-incident' | 'secret-exposed';

/**
 * State of one piece of mail the desk sends at most once (see outbound/send-once.ts):
 * `pending` → `sending` (claimed by one holder until its lease runs out) → `sent`; `sending` goes back to
 * `pending` only after a send that certainly failed, and only by its holder; a lease that ran out mid-send
 * becomes `unknown`, never a second send. `rejected`: SES refused it for good. `rate-limited`: withheld by
 * the hourly caps. `not-needed`: nothing to send. `suppressed`: never sent, because the address is on the
 * suppression list (a hard bounce or a complaint).
 */
export type SendState = 'pending' | 'sending' | 'sent' | 'not-needed' | 'rate-limited' | 'rejected' | 'unknown' | 'suppressed';

export interface OutboundSendRecord {
  state: SendState;
  /** Who holds the claim while `sending`; only the holder may release it or record the send. */
  holder?: string;
  /** Epoch milliseconds at which a `sending` claim may be declared abandoned. */
  leaseUntil?: number;
  /** The id SES returned, and the Message-ID it gave the mail (`<id@email.amazonses.com>`). */
  sesMessageId?: string;
  messageId?: string;
  /** The Message-ID Concierge wrote, which SES replaced; it travels in References. */
  ownMessageId?: string;
  sentAt?: string;
  /** Why SES refused it, when it did. */
  error?: string;
}

export interface Ticket {
  /** The ticket's reference (`K7Q3XM`): short, random-looking, unique; `id` and `ref` are the same value. */
  id: string;
  ref: string;
  subject: string;
  status: TicketStatus;
  /** The address that opened the ticket; acknowledgements and replies go here. */
  customer: string;
  /** Addresses allowed to write into the ticket (customer and the people they copied). */
  parties: string[];
  flags: TicketFlag[];
  /** Ticket id the sender tried to write into when `stranger-reference` is set. */
  referencedTicketId?: string;
  language: Language;
  tier: Tier;
  priority: Priority;
  /** What the message is about (sla/categorize.ts); staff may change it, with the priority. */
  category: Category;
  /** Absent on tickets stored before the SLA engine. */
  slaState?: TicketSlaState;
  /** The staff id the ticket is assigned to; unassigned when absent. */
  assignee?: string;
  assignedAt?: string;
  createdAt: string;
  updatedAt: string;
  /** When a person must have answered; the SLA engine escalates past it. */
  firstResponseDueAt: string;
  firstRespondedAt?: string;
  messageCount: number;
  /** The delivery that opened the ticket, and its origin (sender + Message-ID, or the SES id without one). */
  openedBy: { sesMessageId: string; origin: string; receivedAt?: string };
  /** The acknowledgement of the first message. */
  ack: OutboundSendRecord;
  /** When a follow-up last reopened the ticket from `closed` or `waiting-on-customer`. */
  reopenedAt?: string;
}

export interface AttachmentMeta {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  s3Key: string;
  /** Secrets removed from a text attachment before it was stored (the stored copy holds the markers). */
  redacted?: SecretKind[];
}

export type MessageDirection = 'inbound' | 'outbound';

/**
 * What a message the desk sends is: the acknowledgement of a new ticket, the assignee's notification of new
 * customer text, a staff member's answer relayed to the customer, or the explanation a staff member gets when
 * their emailed reply was not relayed, and the SLA scan's warning to an assignee and escalation of a breach.
 */
export type OutboundPurpose =
  | 'acknowledgement'
  | 'notification'
  | 'staff-reply'
  | 'reply-rejected-notice'
  | 'sla-warning'
  | 'sla-escalation'
  /** The customer sent a secret: support never asks for it, treat it as compromised, what to do now. */
  | 'secret-warning'
  /** A staff member's answer was not sent because it asked for a secret or named an unlisted address. */
  | 'reply-blocked-notice'
  /** A staff member's answer bounced or drew a complaint; the customer's address is suppressed. */
  | 'delivery-failed-notice';

export type TicketEventType =
  | 'assigned'
  | 'reassigned'
  | 'unassigned'
  | 'status-changed'
  | 'replied'
  | 'reply-rejected'
  | 'leads-notified'
  | 'priority-changed'
  | 'category-changed'
  | 'sla-warning'
  | 'sla-breach'
  /** The outbound guard stopped a staff member's answer (detail: reason, via). */
  | 'reply-blocked'
  /** Secrets were removed from a customer's message before it was stored (detail: kinds). */
  | 'secret-redacted'
  /** Mail to an address of the ticket bounced or drew a complaint, and the address was suppressed. */
  | 'delivery-suppressed';

/**
 * One thing that happened to a ticket, kept for good. `key` is derived from its cause (the delivery or request
 * behind it), so a redelivery rewrites the same event instead of adding another.
 */
export interface TicketEvent {
  ticketId: string;
  at: string;
  key: string;
  type: TicketEventType;
  /** Who did it: a staff id, `customer`, `routing`, `api`, `cli`, or an email address for a rejected sender. */
  actor: string;
  /** What changed, in plain values (e.g. `{ from: 'st-…', to: 'st-…', reason: '…' }`). */
  detail: Record<string, string>;
}

export interface TicketMessage {
  ticketId: string;
  /** Unique per message: the SES message id for inbound mail and for mail we sent. */
  key: string;
  direction: MessageDirection;
  /** For mail the desk sends: what it is. */
  purpose?: OutboundPurpose;
  /** For a staff member's answer or a notification: the staff member who wrote it or receives it. */
  staffId?: string;
  /** For mail the desk sends while `sending`: who holds the claim and until when (see outbound/send-once.ts). */
  holder?: string;
  leaseUntil?: number;
  /** Why SES refused it, or why its outcome is unknown. */
  sendError?: string;
  /**
   * For mail the desk sends: `sent` once SES accepted it (with `messageId` the id SES assigned); until then the
   * claim's state, which lives with whatever holds the claim (an acknowledgement's is the ticket's `ack`).
   */
  sendState?: SendState;
  sesMessageId?: string;
  /** When SES accepted it. */
  sentAt?: string;
  from: string;
  to: string[];
  cc: string[];
  /** Message-ID as it travels: for outbound mail, the one SES assigned. */
  messageId: string;
  /** For outbound mail, the Message-ID Concierge wrote before SES replaced it. */
  originalMessageId?: string;
  inReplyTo?: string;
  /** References as received (newest kept), so a later acknowledgement can thread under this message. */
  references?: string[];
  date?: string;
  subject: string;
  /** The visible new text: quoted history and signature removed. */
  text: string;
  /** Set when `text` was cut to the storage limit; the whole message is still in S3. */
  textTruncated?: boolean;
  /** Kinds of secret removed from this message's subject, text and text attachments (each named once). */
  redacted?: SecretKind[];
  attachments: AttachmentMeta[];
  verdicts?: Verdicts;
  classification: Classification;
  language: Language;
  /** Where the raw message lives in S3, for inbound mail. */
  rawS3Key?: string;
  receivedAt: string;
}

export type InboundOutcome = 'quarantined' | 'discarded' | 'duplicate';

/**
 * What became of a delivery that made no ticket message: quarantined, discarded machine mail, or a second
 * delivery of mail already stored under another SES id. Deliveries that did make a message are recorded by
 * the message itself (its key holds the SES id) and by the ticket they opened.
 */
export interface InboundReceipt {
  sesMessageId: string;
  outcome: InboundOutcome;
  ticketId?: string;
  reason?: string;
  classification?: Classification;
  from?: string;
  subject?: string;
  rawS3Key: string;
  duplicateOf?: string;
  receivedAt: string;
}
