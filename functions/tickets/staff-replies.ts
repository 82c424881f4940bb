/**
 * A staff member's answer reaches the customer: by email (a reply to their notification, checked in
 * inbound/staff-mail.ts) or by API. Both take this path: the answer is composed from the support address in
 * the ticket's language with the customer's anti-phishing code, sent once (keyed by what caused it: the SES id
 * of the staff member's mail, or the API request's idempotency key), stored on the ticket as an outbound
 * message, and the ticket waits on the customer with its first response recorded.
 */
import { buildCustomerReply } from '../outbound/customer-reply';
import { buildReplyBlockedNotice } from '../outbound/reply-blocked-notice';
import { checkStaffReply, type BlockReason } from '../secrets/outbound-guard';
import { redactSecrets, type SecretKind } from '../secrets/detect';
import { buildReplyRejectedNotice, REPLY_REJECTION_TEXT, type ReplyRejectionReason } from '../outbound/notification';
import type { OutboundMail } from '../outbound/acknowledgement';
import type { SendOnceOutcome } from '../outbound/send-once';
import type { MailSender } from '../ports/mail-sender';
import type { RosterStore } from '../ports/roster-store';
import type { TicketStore } from '../ports/ticket-store';
import type { SlaPolicy } from '../sla/policy';
import { SLA_METRICS, type MetricSink } from '../commons/metrics';
import { advanceSla } from './sla-state';
import type { Staff } from '../roster/model';
import type { Ticket, TicketMessage } from './model';
import { outboundMessage, sendOutboundMessage, sendStaffNotice } from './outbound-messages';
import { ownMessageDiscriminator, ownMessageIdFor, replyAddressFor, sesMessageIdHeader } from './references';

/** What a relayed answer holds at most; a longer one is refused rather than cut. */
export const MAX_REPLY_TEXT_CHARS = 20_000;
/** Reads and retries a status change this often when the ticket changed under it. */
const MAX_STATUS_RETRIES = 5;

export interface DeskSettings {
  supportAddress: string;
  supportDisplayName: string;
  replyTokenSecret: string;
  region: string;
  /** An answer stops the running response clock (tickets/sla-state.ts). */
  slaPolicy: SlaPolicy;
  /** The published deposit addresses an answer may name (secrets/outbound-guard.ts); absent, none. */
  depositAddresses?: ReadonlySet<string>;
}

export interface StaffReplyDependencies {
  store: Pick<TicketStore, 'getTicket' | 'listMessages' | 'outboundLedger' | 'changeStatus' | 'recordEvent' | 'listEvents'>;
  roster: Pick<RosterStore, 'getStaff' | 'findCustomer'>;
  mailSender: MailSender;
  settings: DeskSettings;
  now?: () => Date;
  newClaimHolder?: () => string;
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** Response times (CloudWatch EMF in Lambda). */
  metrics?: MetricSink;
}

export interface StaffReplyRequest {
  ticketId: string;
  staffId: string;
  text: string;
  /** What caused the answer (`email:<SES id>`, `api:<idempotency key>`): the same cause sends once. */
  cause: string;
  /** When the cause happened: the answer's place in the ticket's history. */
  at: string;
  via: 'email' | 'api';
}

/**
 * The answer was stopped before it was sent: the outbound guard found it asking for a secret, remote access or
 * funds, or naming an unlisted address; or it holds a recovery phrase or private key itself.
 */
export type GuardRejection = 'blocked-request' | 'unlisted-address' | 'contains-secret';

export type StaffReplyRejection = ReplyRejectionReason | 'unknown-ticket' | 'unknown-staff' | 'too-long' | GuardRejection;

export type StaffReplyOutcome =
  | { status: 'sent'; ticketId: string; messageId?: string }
  /** The same cause was relayed before; nothing was sent again. */
  | { status: 'already-sent'; ticketId: string }
  /** Another attempt is sending it right now. */
  | { status: 'in-progress'; ticketId: string }
  /** SES refused it for good, or it may or may not have gone out: never sent twice. */
  | { status: 'not-delivered'; ticketId: string; state: string; error?: string }
  | { status: 'rejected'; reason: StaffReplyRejection; explanation: string; blocked?: { kinds: BlockReason[]; detail: string } };

const REJECTION_TEXT: Record<StaffReplyRejection, string> = {
  ...REPLY_REJECTION_TEXT,
  'unknown-ticket': 'There is no such ticket.',
  'unknown-staff': 'There is no such member of staff.',
  'too-long': `The answer is longer than ${MAX_REPLY_TEXT_CHARS.toLocaleString('en')} characters; shorten it or attach the rest to the ticket.`,
  'blocked-request': 'The answer was not sent: it asks the customer for a secret, for remote access or to send funds to verify, which support never does.',
  'unlisted-address': 'The answer was not sent: it names a crypto address that is not one of the published deposit addresses.',
  'contains-secret': 'The answer was not sent: it holds a recovery phrase or private key itself, which support never sends and never writes back. Write a transaction hash as "tx hash …".',
};

const isGuardRejection = (reason: StaffReplyRejection): reason is GuardRejection => reason === 'blocked-request' || reason === 'unlisted-address' || reason === 'contains-secret';

export const rejectionText = (reason: StaffReplyRejection) => REJECTION_TEXT[reason];

/**
 * Who may answer a ticket: its assignee, or anyone when it is unassigned; a lead may answer any ticket. A
 * closed ticket takes no answer until it is reopened.
 */
export function replyRefusal(ticket: Ticket, staff: Staff): ReplyRejectionReason | undefined {
  if (ticket.status === 'closed') return 'ticket-closed';
  if (ticket.assignee && ticket.assignee !== staff.id && staff.role !== 'lead') return 'not-assignee';
  return undefined;
}

/** The outbound message a relayed answer is stored as, keyed by its cause. */
function replyMessage(ticket: Ticket, staff: Staff, mail: OutboundMail, request: StaffReplyRequest, itemAt: string): TicketMessage {
  return outboundMessage(mail, {
    ticketId: ticket.id,
    key: `~reply:${ownMessageDiscriminator(request.cause)}`,
    purpose: 'staff-reply',
    staffId: staff.id,
    text: mail.text,
    classification: { kind: 'person', reason: `answer by ${staff.id} (${request.via})` },
    language: ticket.language,
    receivedAt: itemAt,
  });
}

/** Relays a staff member's answer to the ticket's customer, once per cause. */
export async function relayStaffReply(firstRequest: StaffReplyRequest, deps: StaffReplyDependencies): Promise<StaffReplyOutcome> {
  const { store, roster, settings } = deps;
  let request = firstRequest;
  const now = deps.now ?? (() => new Date());
  const reject = (reason: StaffReplyRejection): StaffReplyOutcome => ({ status: 'rejected', reason, explanation: REJECTION_TEXT[reason] });

  const [ticket, staff] = await Promise.all([store.getTicket(request.ticketId), roster.getStaff(request.staffId)]);
  if (!ticket) return reject('unknown-ticket');
  if (!staff) return reject('unknown-staff');
  const text = request.text.trim();
  if (text === '') return reject('empty-reply');
  if (text.length > MAX_REPLY_TEXT_CHARS) return reject('too-long');

  const discriminator = ownMessageDiscriminator(request.cause);
  const messages = await store.listMessages(ticket.id);
  const earlier = messages.find((message) => message.key === `~reply:${discriminator}`);
  // A retry of an answer already stored goes on from where it stopped, even if the ticket moved on since; the
  // answer's time is when it was first sent (an API retry comes later than the first).
  if (earlier) request = { ...request, at: earlier.sentAt ?? request.at };
  else {
    // Checked before who may answer: an attempt to ask a customer for a secret is recorded whoever makes it.
    const blocked = await blockUnsafeReply(ticket, staff, text, request, deps);
    if (blocked) return blocked;
    const refusal = replyRefusal(ticket, staff);
    if (refusal) return reject(refusal);
  }

  const customer = await roster.findCustomer(ticket.customer);
  const latestCustomerMessage = messages.filter((message) => message.direction === 'inbound').at(-1);
  // The answer's item is placed by what it answers, not by when this attempt runs: attempts of one cause that
  // race (API retries with one Idempotency-Key, one mail under two SES ids) then claim the same item.
  const itemAt = earlier?.receivedAt ?? latestCustomerMessage?.receivedAt ?? ticket.createdAt;
  const mail = buildCustomerReply({
    ticket,
    customer: ticket.customer,
    staffName: staff.name,
    text,
    // An address whose authentication was not proven may be a forger's: it never gets the code.
    ...(customer?.antiPhishingCode && !ticket.flags.includes('unverified-sender') ? { antiPhishingCode: customer.antiPhishingCode } : {}),
    ...(latestCustomerMessage ? { latestCustomerMessage: { messageId: latestCustomerMessage.messageId, references: latestCustomerMessage.references ?? [] } } : {}),
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    replyAddress: replyAddressFor(settings.supportAddress, ticket, settings.replyTokenSecret),
    messageId: ownMessageIdFor('reply', ticket.id, settings.supportAddress, settings.replyTokenSecret, discriminator),
  });
  const message = replyMessage(ticket, staff, mail, request, itemAt);
  const sent = await sendOutboundMessage(message, mail, { ...deps, now });
  deps.log?.('staff answer relayed', { ticketId: ticket.id, staffId: staff.id, via: request.via, outcome: sent.status });
  if (sent.status === 'busy') return { status: 'in-progress', ticketId: ticket.id };
  if (sent.status === 'rejected' || sent.status === 'unknown' || sent.status === 'suppressed' || sent.status === 'settled') {
    return { status: 'not-delivered', ticketId: ticket.id, state: sent.status === 'settled' ? sent.state : sent.status, ...('error' in sent ? { error: sent.error } : {}) };
  }
  await markAnswered(ticket.id, staff, request, deps, sent.status === 'already-sent');
  return sent.status === 'already-sent' ? { status: 'already-sent', ticketId: ticket.id } : { status: 'sent', ticketId: ticket.id, messageId: sesMessageIdHeader(sent.sesMessageId, settings.region) };
}

/**
 * The outbound guard (secrets/outbound-guard.ts) on an answer about to be sent for the first time: a retry of an
 * answer already stored is not judged again. A blocked answer sends nothing and is recorded as `reply-blocked`
 * keyed by its cause, with the kinds found and never the answer's words; a retry of the same cause finds the
 * event and records nothing more.
 */
async function blockUnsafeReply(ticket: Ticket, staff: Staff, text: string, request: StaffReplyRequest, deps: StaffReplyDependencies): Promise<StaffReplyOutcome | undefined> {
  const verdict = secretIn(text) ?? checkStaffReply(text, { depositAddresses: deps.settings.depositAddresses ?? new Set() });
  if (verdict.allowed) return undefined;
  const reason: GuardRejection = 'holdsSecret' in verdict ? 'contains-secret' : verdict.reasons.every((kind) => kind === 'unlisted-address') ? 'unlisted-address' : 'blocked-request';
  const key = `reply-blocked:${request.cause}`;
  if (!(await deps.store.listEvents(ticket.id)).some((event) => event.key === key)) {
    await deps.store.recordEvent({ ticketId: ticket.id, at: request.at, key, type: 'reply-blocked', actor: staff.id, detail: { reason, kinds: verdict.reasons.join(','), via: request.via } });
  }
  deps.log?.('staff answer blocked', { ticketId: ticket.id, staffId: staff.id, via: request.via, kinds: verdict.reasons });
  return { status: 'rejected', reason, explanation: REJECTION_TEXT[reason], blocked: { kinds: verdict.reasons, detail: verdict.detail } };
}

/**
 * An answer that holds a recovery phrase or private key itself, whatever it asks: it would be stored on the ticket
 * and mailed, and support has no reason to send one (a customer's own is never shown to staff; a phrase to
 * import is a known fraud). Passwords and codes are left to the guard's word rules: the detector is tuned to
 * what customers write, and an answer's `password: at least 12 characters` is an ordinary one.
 */
const NEVER_SENT: readonly SecretKind[] = ['recovery-phrase', 'private-key'];

function secretIn(text: string): { allowed: false; holdsSecret: true; reasons: BlockReason[]; detail: string } | undefined {
  const found = redactSecrets(text).found.filter((kind) => NEVER_SENT.includes(kind));
  if (found.length === 0) return undefined;
  return { allowed: false, holdsSecret: true, reasons: found, detail: `it holds a ${found.map((kind) => kind.replace(/-/g, ' ')).join(', ')} itself` };
}

/** The ticket waits on the customer, with its first response recorded and the answer as an event. */
async function markAnswered(ticketId: string, staff: Staff, request: StaffReplyRequest, deps: StaffReplyDependencies, retried: boolean): Promise<void> {
  const key = `replied:${request.cause}`;
  for (let attempt = 0; attempt <= MAX_STATUS_RETRIES; attempt += 1) {
    const ticket = await deps.store.getTicket(ticketId);
    if (!ticket) return;
    // The status moved with this answer's event in one write: a retry that finds the event must not move it
    // again, or a redelivered answer would set back a ticket the customer has reopened since.
    if ((retried || attempt > 0) && (await deps.store.listEvents(ticketId)).some((earlier) => earlier.key === key)) return;
    // An answer recorded after the customer wrote again (a retried request) leaves the ticket open: the
    // customer's newer message is still unanswered.
    const lastCustomerAt = ticket.slaState?.track.lastCustomerAt;
    const status = lastCustomerAt && Date.parse(lastCustomerAt) > Date.parse(request.at) ? ticket.status : 'waiting-on-customer';
    const event = { ticketId, at: request.at, key, type: 'replied' as const, actor: staff.id, detail: { via: request.via, ...(ticket.status !== status ? { from: ticket.status, to: status } : {}) } };
    // The answer meets the running response target; waiting on the customer pauses resolution.
    const sla = advanceSla(ticket, [{ type: 'staff-answer', at: request.at }, { type: 'status', at: request.at, status }], (deps.now ?? (() => new Date()))(), deps.settings.slaPolicy);
    const result = await deps.store.changeStatus(ticket, status, event, { firstRespondedAt: request.at, ...(sla ? { sla } : {}) });
    if (result === 'changed') {
      // The write that set the first response is the one that counts it.
      if (!ticket.firstRespondedAt) {
        deps.metrics?.({
          name: SLA_METRICS.firstResponseSeconds,
          unit: 'Seconds',
          value: Math.max(0, (Date.parse(request.at) - Date.parse(ticket.createdAt)) / 1000),
          dimensions: { Tier: ticket.tier, Priority: ticket.priority },
          properties: { ticketId },
        });
      }
      return;
    }
  }
  throw new Error(`ticket ${ticketId} kept changing while its answer was recorded`);
}

/**
 * A reply that failed a check: recorded on the ticket as `reply-rejected` (who, why) and, when the sender is
 * a member of staff whom authentication proves, explained to them once. Nobody else is written to, so a
 * forged reply cannot make the desk mail an address of the forger's choosing.
 */
export async function rejectStaffReply(
  input: { ticket: Ticket; sender: string; reason: StaffReplyRejection; cause: string; at: string; via: 'email' | 'api'; notify?: { staff: Staff; inReplyTo?: string }; blockedDetail?: string },
  deps: StaffReplyDependencies,
): Promise<SendOnceOutcome | undefined> {
  const { ticket, settings } = { ticket: input.ticket, settings: deps.settings };
  // The guard recorded `reply-blocked` already; its notice says what it found.
  if (isGuardRejection(input.reason)) return input.notify ? notifyBlocked({ ...input, notify: input.notify }, deps) : undefined;
  await deps.store.recordEvent({ ticketId: ticket.id, at: input.at, key: `reply-rejected:${input.cause}`, type: 'reply-rejected', actor: input.sender, detail: { reason: input.reason, via: input.via } });
  deps.log?.('staff reply rejected', { ticketId: ticket.id, sender: input.sender, reason: input.reason });
  if (!input.notify || input.reason === 'unknown-ticket' || input.reason === 'unknown-staff' || input.reason === 'too-long') return undefined;
  const discriminator = ownMessageDiscriminator(input.cause);
  const mail = buildReplyRejectedNotice({
    ref: ticket.ref,
    reason: input.reason,
    to: input.notify.staff.email,
    ...(input.notify.inReplyTo ? { inReplyTo: input.notify.inReplyTo } : {}),
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    messageId: ownMessageIdFor('notice', ticket.id, settings.supportAddress, settings.replyTokenSecret, discriminator),
  });
  return sendStaffNotice({ ticketId: ticket.id, staffId: input.notify.staff.id, mail, purpose: 'reply-rejected-notice', discriminator, at: input.at }, deps);
}


/**
 * Tells the staff member whose emailed answer the guard stopped what it found, once per cause. The notice's
 * item is placed where a first delivery placed it, so the same mail delivered again under another SES id (a
 * later receipt time) claims the same item and sends nothing more.
 */
async function notifyBlocked(
  input: { ticket: Ticket; cause: string; at: string; notify: { staff: Staff; inReplyTo?: string }; blockedDetail?: string; reason: StaffReplyRejection },
  deps: StaffReplyDependencies,
): Promise<SendOnceOutcome> {
  const { ticket, settings } = { ticket: input.ticket, settings: deps.settings };
  const discriminator = ownMessageDiscriminator(`blocked:${input.cause}`);
  const messages = await deps.store.listMessages(ticket.id);
  const placedAt = messages.find((message) => message.key === `~notice:${discriminator}`)?.receivedAt ?? messages.filter((message) => message.direction === 'inbound').at(-1)?.receivedAt ?? ticket.createdAt;
  const mail = buildReplyBlockedNotice({
    ref: ticket.ref,
    detail: input.blockedDetail ?? REJECTION_TEXT[input.reason],
    to: input.notify.staff.email,
    ...(input.notify.inReplyTo ? { inReplyTo: input.notify.inReplyTo } : {}),
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    messageId: ownMessageIdFor('notice', ticket.id, settings.supportAddress, settings.replyTokenSecret, discriminator),
  });
  return sendStaffNotice({ ticketId: ticket.id, staffId: input.notify.staff.id, mail, purpose: 'reply-blocked-notice', discriminator, at: placedAt }, deps);
}
