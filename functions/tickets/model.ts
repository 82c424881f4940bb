import type { Classification, Language, Verdicts } from '../mail/types';

export type TicketStatus = 'open' | 'waiting-on-customer' | 'closed';
export type Tier = 'standard' | 'vip';
export type Priority = 'normal' | 'urgent';

/**
 * Why a ticket needs a human's eye before anyone trusts it:
 * - `unverified-sender`: DMARC failed (or SPF and DKIM both failed); the From address may be forged.
 * - `stranger-reference`: the sender referred to a ticket they are not a party to.
 * - `security-incident`: account takeover, unauthorized withdrawal, frozen assets, lost 2FA.
 */
export type TicketFlag = 'unverified-sender' | 'stranger-reference' | 'security-incident';

export interface Ticket {
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
  assignee?: string;
  createdAt: string;
  updatedAt: string;
  /** When a person must have answered; the SLA engine escalates past it. */
  firstResponseDueAt: string;
  firstRespondedAt?: string;
  messageCount: number;
}

export interface AttachmentMeta {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  s3Key: string;
}

export type MessageDirection = 'inbound' | 'outbound';

export interface TicketMessage {
  ticketId: string;
  /** Unique per message: the SES message id for inbound mail and for mail we sent. */
  key: string;
  direction: MessageDirection;
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
  attachments: AttachmentMeta[];
  verdicts?: Verdicts;
  classification: Classification;
  language: Language;
  /** Where the raw message lives in S3, for inbound mail. */
  rawS3Key?: string;
  receivedAt: string;
}

export type InboundOutcome = 'ticket-created' | 'follow-up' | 'quarantined' | 'discarded' | 'duplicate';
/**
 * `sending` is written before the send: a delivery that finds it with the lease run out cannot know whether
 * SES took the message, so it records `unknown` rather than risk a second acknowledgement.
 */
export type AckState = 'pending' | 'sending' | 'sent' | 'not-needed' | 'rate-limited' | 'rejected' | 'unknown';

/** One per SES message id: what became of it. Makes every effect of a delivery happen once. */
export interface InboundReceipt {
  sesMessageId: string;
  outcome: InboundOutcome;
  ticketId?: string;
  reason?: string;
  classification?: Classification;
  from?: string;
  subject?: string;
  rawS3Key: string;
  ackState: AckState;
  ackClaimedUntil?: number;
  ackSesMessageId?: string;
  /** Why SES refused the acknowledgement, when it did. */
  ackError?: string;
  duplicateOf?: string;
  receivedAt: string;
}
