import { randomUUID } from 'node:crypto';
import { classifyMail, suppressesAutoResponse } from '../mail/classify';
import { detectLanguage } from '../mail/language';
import { MailLimitError, MailParseError, parseInboundMail } from '../mail/parse';
import { readSesAuthenticatedDomains, readSesStampedVerdicts } from '../mail/ses-verdicts';
import { domainOf, mayAcknowledge, senderTrust, type SenderTrust } from '../mail/trust';
import type { Classification, InboundMail, RawMessageSource, Verdicts } from '../mail/types';
import { extractVisibleText } from '../mail/visible-text';
import { MAX_SCANNED_CHARS, REDACTION_MARKERS, redactAllSecrets, redactSecrets, WINDOW_OVERLAP_CHARS } from '../secrets/detect';
import { redactInboundMail, type MailToRedact, type RedactedAttachment } from '../secrets/redact-mail';
import { warnOfSecret } from '../tickets/secret-warnings';
import { markSecretExposed } from '../tickets/update-ticket';
import { buildAcknowledgement, type AcknowledgementInput, type OutboundMail } from '../outbound/acknowledgement';
import { sendClaimed } from '../outbound/send-once';
import { withKnownSuppression } from '../outbound/suppression-guard';
import { recordDeliveryReport } from '../feedback/delivery-report-mail';
import type { SuppressionStore } from '../ports/suppression-store';
import type { InboundConfig } from '../commons/config';
import type { MetricSink } from '../commons/metrics';
import type { MailSender } from '../ports/mail-sender';
import type { RawMailStore } from '../ports/raw-mail-store';
import type { RosterStore } from '../ports/roster-store';
import type { Customer, Staff } from '../roster/model';
import { notifyStaff } from '../tickets/notifications';
import { routeTicket, type RoutedTicket } from '../tickets/route-ticket';
import { staffReplyTokenIn } from '../tickets/staff-reply-address';
import { receiveStaffMail, type StaffMailResult } from './staff-mail';
import { rejectStaffReply } from '../tickets/staff-replies';
import type { AckAllowance, AlongsideWrites, FollowUpResult, IndexedMessageId, MessageIdClaim, RecordedSend, SendOnceLedger, TicketStore } from '../ports/ticket-store';
import type { AttachmentMeta, InboundReceipt, OutboundSendRecord, Ticket, TicketEvent, TicketMessage } from '../tickets/model';
import { MAX_STORED_SUBJECT_CHARS, newTicket } from '../tickets/new-ticket';
import { advanceSla } from '../tickets/sla-state';
import { isSesAssignedKey, messageIdKey, ownMessageIdFor, replyAddressFor, sesMessageIdHeader, ticketOfOwnMessageId, ticketRefFor } from '../tickets/references';
import { candidateMessageIds, resolveThread, type ThreadDecision } from '../tickets/threading';

/** What SES tells us about one received message (the Lambda action's event, minus the envelope). */
export interface InboundDelivery {
  sesMessageId: string;
  /** SMTP MAIL FROM; empty for a null sender. */
  envelopeSender: string;
  /** Addresses SES accepted the message for. */
  recipients: string[];
  /** SES's own verdicts from the event's receipt; undefined when the event carried none. */
  verdicts?: Verdicts;
  /** When SES received the message (ISO-8601). */
  receivedAt: string;
}

export type InboundSettings = Omit<InboundConfig, 'tableName' | 'rawMailBucket' | 'replyTokenSecret' | 'sesConfigurationSet' | 's3ForcePathStyle' | 'sensitiveMailKeyId'> & {
  /** The reply-address secret itself, resolved from its source. */
  replyTokenSecret: string;
};

export interface InboundDependencies {
  store: TicketStore;
  /** Staff and customers: routing, and who may answer by email. */
  roster: RosterStore;
  rawMail: RawMailStore;
  mailSender: MailSender;
  settings: InboundSettings;
  now?: () => Date;
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** Names the holder of a send-once claim; unique per invocation. */
  newClaimHolder?: () => string;
  /** Response times of answers by email (CloudWatch EMF in Lambda). */
  metrics?: MetricSink;
  /** The suppression list: a bounce report citing our mail suppresses the address that failed. */
  suppressions?: SuppressionStore;
}

export type InboundResult =
  | { outcome: 'ticket-created'; ticketId: string; ref: string; acknowledgement: AckResult }
  | { outcome: 'follow-up'; ticketId: string; reopened: boolean }
  | { outcome: 'quarantined'; reason: string }
  | { outcome: 'discarded'; reason: string }
  | { outcome: 'duplicate'; of: string; ticketId?: string; acknowledgement?: AckResult }
  | Exclude<StaffMailResult, { outcome: 'discarded' }>;

export type AckResult = 'sent' | 'not-needed' | 'rate-limited' | 'claimed-elsewhere' | 'rejected' | 'unknown' | 'suppressed';

/** Deliberately plain: an address SES will take, not a full RFC 5322 parser. */
const DELIVERABLE_ADDRESS = /^[^\s@<>()",;:]{1,64}@[^\s@<>()",;:]{1,253}\.[^\s@<>()",;:]{1,63}$/;

/** Stored text is cut here so a message always fits a DynamoDB item; the raw message keeps the rest. */
export const MAX_STORED_TEXT_CHARS = 64_000;
/** Stored text is also cut by UTF-8 size: 64 000 Chinese characters would be 192 KB. */
export const MAX_STORED_TEXT_BYTES = 100_000;
/** Longer than the function's timeout: while it runs, another delivery of the same event leaves the send alone. */
export const ACK_CLAIM_LEASE_MS = 90_000;
/** References are random-looking, so a taken one is rare; a handful of candidates always suffices. */
const MAX_REF_ATTEMPTS = 8;
/** Per message: addresses kept in to/cc, References kept, attachment filename length. */
export const MAX_STORED_ADDRESSES = 50;
export const MAX_STORED_REFERENCES = 20;
/** A follow-up whose ticket keeps changing under it (staff closing, answering, another message) reads it again this often. */
const MAX_FOLLOW_UP_RACE_RETRIES = 8;
export const MAX_STORED_FILENAME_CHARS = 255;
/** A stored or re-sent Message-ID longer than RFC 5322's line limit is cut; keys use a digest of the whole. */
export const MAX_STORED_MESSAGE_ID_CHARS = 998;
/** The acknowledgement threads under the customer's newest ids only, and never repeats an over-long one. */
const MAX_ACK_REFERENCES = 10;
const MAX_ACK_REFERENCE_CHARS = 250;
const ITEM_SIZE_REASON = 'limit item-size: the message record would exceed DynamoDB’s 400 KB item limit';
/** Sorts after the customer's message (same time, SES ids are hex) in the ticket's message list. */
const ACK_MESSAGE_KEY = '~ack';

/**
 * DynamoDB refuses an item over 400 KB. The JSON of a message is a little larger than the item DynamoDB
 * measures (quotes, braces), so staying under this bound with room for the keys is safe.
 */
const MAX_MESSAGE_JSON_BYTES = 390 * 1024;

function exceedsItemLimit(message: TicketMessage): boolean {
  return Buffer.byteLength(JSON.stringify(message), 'utf8') > MAX_MESSAGE_JSON_BYTES;
}

/** Cuts `text` to at most `maxChars` characters and `maxBytes` UTF-8 bytes, never inside a character. */
export function truncateText(text: string, maxChars: number, maxBytes: number): { text: string; truncated: boolean } {
  let cut = text.length > maxChars ? text.slice(0, maxChars) : text;
  if (Buffer.byteLength(cut, 'utf8') > maxBytes) {
    const bytes = Buffer.from(cut, 'utf8').subarray(0, maxBytes);
    cut = bytes.toString('utf8').replace(/\uFFFD$/, '');
  }
  return { text: cut, truncated: cut.length < text.length };
}

const UNKNOWN_VERDICTS: Verdicts = { spf: 'PROCESSING_FAILED', dkim: 'PROCESSING_FAILED', dmarc: 'PROCESSING_FAILED', spam: 'PROCESSING_FAILED', virus: 'PROCESSING_FAILED' };

const clip = (id: string) => id.slice(0, MAX_STORED_MESSAGE_ID_CHARS);

/**
 * Turns one message SES received into ticket state. Every write is keyed by the delivery or by the mail's
 * origin, so a second delivery of the same event, or of the same mail under another SES id, finds its own
 * earlier writes instead of adding to them:
 * 1. fetch and parse the raw message under explicit limits; quarantine what breaks them;
 * 2. take verdicts from SES only; classify; quarantine spam and viruses; decide how far the From is proven;
 * 3. thread it (own signed ids, indexed Message-IDs, signed reply address, subject token; parties only);
 * 4. machine mail that threads nowhere is only recorded; a follow-up is stored with its ticket's update;
 * 5. a new ticket is written under a reference derived from the mail's origin, carrying the acknowledgement's
 *    claim for its creator;
 * 6. the creator counts the acknowledgement against the hourly caps and sends it once (outbound/send-once.ts);
 *    the first message is stored in the same write as the send's record, or alone when nothing was sent.
 */
export async function receiveMessage(delivery: InboundDelivery, deps: InboundDependencies): Promise<InboundResult> {
  const { store, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const rawKey = `${settings.rawMailPrefix}${delivery.sesMessageId}`;
  const sensitiveKey = `${settings.sensitiveMailPrefix}${delivery.sesMessageId}`;
  const log = deps.log ?? (() => undefined);

  /** Set once redaction found a secret: the raw message then belongs under the sensitive prefix, quarantined or not. */
  let exposedSecrets = false;
  const quarantine = async (reason: string, classification: Classification, mail?: InboundMail): Promise<InboundResult> => {
    if (!exposedSecrets) await deps.rawMail.copyToQuarantine(rawKey, `${settings.quarantinePrefix}${delivery.sesMessageId}`);
    const recorded = await store.recordReceipt({
      sesMessageId: delivery.sesMessageId,
      outcome: 'quarantined',
      reason,
      classification,
      ...(mail?.from ? { from: mail.from.address } : {}),
      ...(mail ? { subject: redactSecrets(mail.subject).text.slice(0, MAX_STORED_SUBJECT_CHARS) } : {}),
      rawS3Key: exposedSecrets ? sensitiveKey : rawKey,
      receivedAt: delivery.receivedAt,
    });
    // After the receipt: a delivery that finds the raw message moved knows it was handled.
    if (exposedSecrets) await deps.rawMail.moveToSensitive(rawKey, sensitiveKey);
    log('message quarantined', { sesMessageId: delivery.sesMessageId, reason, recorded });
    return { outcome: 'quarantined', reason };
  };

  let mail: InboundMail;
  try {
    // Parsed as it downloads: a 25 MB message is never held whole.
    mail = await parseInboundMail(await deps.rawMail.openRawMessage(rawKey, settings.mailLimits.maxMessageBytes), settings.mailLimits);
  } catch (error) {
    // A message that held a secret leaves the normal prefix last of all: gone from there but kept under the
    // sensitive prefix, it was handled in full by an earlier delivery.
    if (isMissingObject(error) && (await deps.rawMail.exists(sensitiveKey))) {
      log('duplicate delivery ignored: the message was moved to the sensitive prefix', { sesMessageId: delivery.sesMessageId });
      return { outcome: 'duplicate', of: delivery.sesMessageId };
    }
    // A message the parser refused is still read as plain text for secrets (not one too large to open at all).
    if ((error instanceof MailLimitError && error.limit !== 'message-size') || error instanceof MailParseError) {
      exposedSecrets = await rawMessageHoldsSecret(await deps.rawMail.openRawMessage(rawKey, settings.mailLimits.maxMessageBytes));
    }
    if (error instanceof MailLimitError) {
      return quarantine(`limit ${error.limit}: ${error.message}`, { kind: 'unparseable', reason: `limit ${error.limit}` });
    }
    if (error instanceof MailParseError) {
      return quarantine(`unparseable: ${error.message}`, { kind: 'unparseable', reason: 'parser error' });
    }
    throw error;
  }

  const headerBlock = mail.headerBlock;
  const verdicts = delivery.verdicts ?? readSesStampedVerdicts(headerBlock) ?? UNKNOWN_VERDICTS;
  const classification = classifyMail({
    headers: mail.headers,
    ...(mail.from ? { from: mail.from } : {}),
    envelopeSender: delivery.envelopeSender,
    contentType: mail.contentType,
    subject: mail.subject,
    ownAddresses: settings.ownAddresses,
    verdicts,
  });
  if (classification.kind === 'spam' || classification.kind === 'virus') {
    // A customer's mail taken for spam is kept too: when it holds a secret, only under the sensitive prefix.
    exposedSecrets = redactInboundMail(redactionInput(mail)).found.length > 0;
    return quarantine(`${classification.kind}: ${classification.reason}`, classification, mail);
  }

  const sender = (mail.from?.address ?? delivery.envelopeSender).toLowerCase();
  const trust = senderTrust({
    verdicts,
    ...(mail.from ? { fromDomain: domainOf(mail.from.address) } : {}),
    ...(delivery.envelopeSender ? { envelopeDomain: domainOf(delivery.envelopeSender) } : {}),
    ...readSesAuthenticatedDomains(headerBlock),
    fromAmbiguous: mail.fromAmbiguous,
  });
  const machineGenerated = classification.kind !== 'person';

  // Mail to a staff reply address is a staff member's answer, never customer mail: it takes its own path.
  const recipients = [...delivery.recipients, ...mail.to.map((a) => a.address), ...mail.cc.map((a) => a.address)];
  const staffToken = staffReplyTokenIn(recipients, settings.supportAddress);
  if (staffToken) {
    const senderStaff = sender ? await deps.roster.findStaffByEmail(sender) : undefined;
    const result = await receiveStaffMail(
      { sesMessageId: delivery.sesMessageId, receivedAt: delivery.receivedAt, mail, sender, trust, machineGenerated, token: staffToken, ...(senderStaff ? { senderStaff } : {}) },
      { ...deps, roster: deps.roster },
    );
    log('staff mail', { sesMessageId: delivery.sesMessageId, ...result });
    // Whatever became of it (an answer stopped for holding a secret, a customer's mail to an address they were
    // shown), mail holding a secret leaves the normal prefix last of all, like a customer's message holding one.
    const holdsSecret = redactInboundMail(redactionInput(mail)).found.length > 0;
    if (result.outcome === 'discarded') {
      await store.recordReceipt({ sesMessageId: delivery.sesMessageId, outcome: 'discarded', reason: result.reason, classification, from: sender, subject: redactSecrets(mail.subject).text.slice(0, MAX_STORED_SUBJECT_CHARS), rawS3Key: holdsSecret ? sensitiveKey : rawKey, receivedAt: delivery.receivedAt });
    }
    if (holdsSecret) await deps.rawMail.moveToSensitive(rawKey, sensitiveKey);
    return result;
  }

  // Secrets leave the message before any of it is stored, shown or sent: the subject, the visible text and
  // text attachments keep markers in their place, and the language is told from what is left.
  const redaction = redactInboundMail(redactionInput(mail));
  mail = { ...mail, subject: redaction.subject, attachments: redaction.attachments };
  const visible = redaction.visibleText;
  const secretKinds = redaction.found;
  exposedSecrets = secretKinds.length > 0;
  const storedRawKey = secretKinds.length > 0 ? sensitiveKey : rawKey;
  const language = secretKinds.length > 0 ? detectLanguage(withoutMarkers(visible), withoutMarkers(mail.subject)) : detectLanguage(visible, mail.subject);
  /** The same mail under another SES id: recorded as a duplicate, its raw copy moved like the first's. */
  const duplicateOrigin = async (ticketId: string): Promise<InboundResult> => {
    const result = await recordDuplicateOrigin(delivery, storedRawKey, ticketId, deps);
    await moveRawIfSecret();
    return result;
  };
  /** Last of all, so that a delivery that finds the raw message gone knows it was handled in full. */
  const moveRawIfSecret = async () => {
    if (secretKinds.length === 0) return;
    await deps.rawMail.moveToSensitive(rawKey, sensitiveKey);
    log('raw message moved to the sensitive prefix', { sesMessageId: delivery.sesMessageId, kinds: secretKinds.join(',') });
  };
  const secret = settings.replyTokenSecret;

  // One batched read serves threading and the duplicate check on the message's own Message-ID.
  const ownKey = mail.messageId ? messageIdKey(mail.messageId) : undefined;
  const candidates = candidateMessageIds(mail.inReplyTo, mail.references);
  // Machine mail may attach only by citing mail the desk sent: its signed ids need no lookup, and of the
  // others only ids SES assigned can be ours. A bounce of someone else's mail costs no read at all.
  const lookupKeys = [
    ...candidates
      .filter((id) => !ticketOfOwnMessageId(id, settings.supportAddress, secret))
      .map(messageIdKey)
      .filter((key) => !machineGenerated || isSesAssignedKey(key)),
    ...(ownKey && !machineGenerated ? [ownKey] : []),
  ];
  // A person's mail may open a ticket: the same read brings the sender's roster record and the roster.
  const context = machineGenerated ? undefined : await store.lookupDelivery(lookupKeys, sender);
  const indexed: Map<string, IndexedMessageId> = context ? context.messageIds : await store.lookupMessageIds(lookupKeys);
  const decision = await resolveThread(
    {
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      recipients,
      subject: mail.subject,
      sender,
      senderTrust: trust,
      machineGenerated,
      deliveryReport: delivery.envelopeSender === '' || mail.contentType === 'multipart/report',
    },
    { lookupMessageIds: async (keys) => new Map(keys.flatMap((key) => (indexed.has(key) ? [[key, indexed.get(key)!] as const] : []))), getTicket: (id) => store.getTicket(id) },
    { address: settings.supportAddress, replyTokenSecret: secret },
  );

  if (machineGenerated && decision.kind === 'new') {
    const reason = `${classification.kind}: ${classification.reason}`;
    await store.recordReceipt({
      sesMessageId: delivery.sesMessageId,
      outcome: 'discarded',
      reason,
      classification,
      ...(sender ? { from: sender } : {}),
      subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS),
      rawS3Key: storedRawKey,
      receivedAt: delivery.receivedAt,
    });
    log('message discarded', { sesMessageId: delivery.sesMessageId, reason });
    await moveRawIfSecret();
    return { outcome: 'discarded', reason };
  }

  // The same mail under another SES id is a duplicate, but only of mail as well proven as this one: a forged
  // copy sent first with a customer's Message-ID must not swallow the customer's real message.
  const proven = trust === 'aligned';
  const earlier = ownKey ? indexed.get(ownKey) : undefined;
  if (earlier && earlier.sender === sender && Boolean(earlier.proven) === proven && earlier.sesMessageId && earlier.sesMessageId !== delivery.sesMessageId) {
    return duplicateOrigin(earlier.ticketId);
  }
  // A Message-ID another mail already indexed stays with it, unless this one is proven and that one was not.
  const mayIndex = !earlier || earlier.sesMessageId === delivery.sesMessageId || (proven && !earlier.proven);
  const ownClaim: MessageIdClaim | undefined = ownKey && sender && mayIndex ? { key: ownKey, ticketId: '', sender, sesMessageId: delivery.sesMessageId, proven } : undefined;

  const attachments = await storeAttachments(redaction.attachments, delivery.sesMessageId, deps);
  const stored = truncateText(visible, MAX_STORED_TEXT_CHARS, MAX_STORED_TEXT_BYTES);
  // A redelivery keeps the first delivery's time, so its writes land on the same keys.
  const messageFor = (ticketId: string, receivedAt = delivery.receivedAt): TicketMessage => ({
    ticketId,
    key: delivery.sesMessageId,
    direction: 'inbound',
    from: sender,
    to: mail.to.slice(0, MAX_STORED_ADDRESSES).map((a) => a.address),
    cc: mail.cc.slice(0, MAX_STORED_ADDRESSES).map((a) => a.address),
    messageId: clip(mail.messageId ?? `<${delivery.sesMessageId}@inbound.concierge>`),
    ...(mail.inReplyTo[0] ? { inReplyTo: clip(mail.inReplyTo[0]) } : {}),
    ...(mail.references.length > 0 ? { references: mail.references.slice(-MAX_STORED_REFERENCES).map(clip) } : {}),
    ...(mail.date ? { date: mail.date } : {}),
    subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS),
    text: stored.text,
    ...(stored.truncated ? { textTruncated: true } : {}),
    ...(secretKinds.length > 0 ? { redacted: secretKinds } : {}),
    attachments,
    verdicts,
    classification,
    language,
    rawS3Key: storedRawKey,
    receivedAt,
  });
  const secretEvent = (ticketId: string, at: string): TicketEvent => ({
    ticketId,
    at,
    key: `secret-redacted:${delivery.sesMessageId}`,
    type: 'secret-redacted',
    actor: machineGenerated ? 'machine' : 'customer',
    detail: { kinds: secretKinds.join(','), where: redaction.where.join(',') },
  });

  if (decision.kind === 'existing') {
    let ticket = decision.ticket;
    // A person writing into a closed or waiting ticket needs someone to look again; machine mail does not, nor
    // does a member of staff the customer copied: their mail is kept on the ticket, not taken for the customer's.
    const fromStaff = (context?.staff ?? []).some((member) => member.email === sender);
    const fromCustomer = !machineGenerated && !fromStaff;
    const message = messageFor(ticket.id);
    let reopen = false;
    let result: FollowUpResult = { status: 'changed-meanwhile' };
    // The write is conditional on the ticket's status and SLA as read: one that lost a race reads again.
    for (let attempt = 0; result.status === 'changed-meanwhile'; attempt += 1) {
      if (attempt > 0) {
        if (attempt > MAX_FOLLOW_UP_RACE_RETRIES) throw new Error(`ticket ${ticket.id} kept changing while a follow-up was stored`);
        const [current] = await store.readTicketsNow([ticket.id]);
        if (!current) throw new Error(`ticket ${ticket.id} is gone`);
        ticket = current;
      }
      reopen = fromCustomer && ticket.status !== 'open';
      // A customer's message moves the clocks: it starts the next response after an answer, resumes a paused
      // resolution, and reopens a closed ticket's.
      const sla = fromCustomer ? advanceSla(ticket, [{ type: 'customer-message', at: message.receivedAt }], now(), settings.slaPolicy) : undefined;
      result = await store.appendFollowUp(message, ownClaim ? { ...ownClaim, ticketId: ticket.id } : undefined, {
        reopen,
        ...(reopen && ticket.status === 'closed' && ticket.assignee ? { reopenFromClosedFor: ticket.assignee } : {}),
        ...(sla && ticket.slaState ? { sla: { next: sla, readVersion: ticket.slaState.version } } : {}),
      });
    }
    if (result.status === 'too-large') return quarantine(ITEM_SIZE_REASON, classification, mail);
    if (result.status === 'duplicate-origin') return duplicateOrigin(ticket.id);
    // A bounce report citing our mail: a hard failure suppresses the address and is recorded on the ticket.
    if (machineGenerated && deps.suppressions) await recordDeliveryReport({ mail, sesMessageId: delivery.sesMessageId, receivedAt: delivery.receivedAt }, { ...deps, suppressions: deps.suppressions });
    let warned: string | undefined;
    if (secretKinds.length > 0) {
      // The ticket becomes an urgent security matter before its assignee hears of it, and the customer is warned.
      await markSecretExposed(ticket.id, { kinds: secretKinds, where: redaction.where, cause: delivery.sesMessageId, at: message.receivedAt }, { store, slaPolicy: settings.slaPolicy, now });
      ticket = (await store.readTicketsNow([ticket.id]))[0] ?? ticket;
      if (fromCustomer) warned = await warnSender(ticket, message, proven ? await deps.roster.findCustomer(sender) : undefined);
    }
    // A person's new text reaches the assignee, threaded under the earlier notifications; a redelivery
    // finishes a notification an earlier attempt may not have sent (it is sent once either way).
    const notified = !machineGenerated && !fromStaff && ticket.assignee ? await notifyFollowUp(ticket, message) : undefined;
    await moveRawIfSecret();
    if (result.status === 'duplicate-delivery') {
      log('duplicate delivery ignored', { sesMessageId: delivery.sesMessageId, ticketId: ticket.id });
      return { outcome: 'duplicate', of: delivery.sesMessageId, ticketId: ticket.id };
    }
    log('follow-up stored', { sesMessageId: delivery.sesMessageId, ticketId: ticket.id, via: decision.via, reopened: reopen, previousStatus: ticket.status, notified, ...(warned ? { secrets: secretKinds.join(','), warned } : {}) });
    return { outcome: 'follow-up', ticketId: ticket.id, reopened: reopen };
  }

  // A first message DynamoDB would refuse is quarantined before its ticket exists, not after.
  if (exceedsItemLimit(messageFor('XXXXXX'))) return quarantine(ITEM_SIZE_REASON, classification, mail);

  const staff = context?.staff ?? [];
  const customer: Customer | undefined = context?.sender?.kind === 'customer' ? context.sender.customer : context?.sender ? await deps.roster.findCustomer(sender) : undefined;
  // Staff write to customers through notifications; their own mail to the desk opens no customer ticket.
  const staffSender = staff.find((member) => member.email === sender);
  if (staffSender) {
    const reason = 'mail from a staff address opens no customer ticket';
    await store.recordReceipt({ sesMessageId: delivery.sesMessageId, outcome: 'discarded', reason, classification, from: sender, subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS), rawS3Key: storedRawKey, receivedAt: delivery.receivedAt });
    log('message discarded', { sesMessageId: delivery.sesMessageId, reason });
    // A proven member of staff answering a ticket's mail at the support address (a client that ignored the
    // notification's Reply-To) is told where answers go, so the answer is not lost without a word.
    const cited = proven && decision.strangerReference ? await store.getTicket(decision.strangerReference.ticketId) : undefined;
    if (cited) {
      await rejectStaffReply(
        { ticket: cited, sender, reason: 'support-address', cause: `email:${delivery.sesMessageId}`, at: delivery.receivedAt, via: 'email', notify: { staff: staffSender, ...(mail.messageId ? { inReplyTo: mail.messageId } : {}) } },
        deps,
      );
    }
    // A member of staff forwarding a customer's mail that holds a secret: its raw message moves all the same.
    await moveRawIfSecret();
    return { outcome: 'discarded', reason };
  }
  const routed = await routeTicket({ ...(customer ? { customer } : {}), trust, staff }, deps.roster);
  // The roster's tier and language count only for a sender whom authentication proves.
  const knownCustomer = proven ? customer : undefined;
  const ticketLanguage = knownCustomer?.language ?? language;

  // X-Auto-Response-Suppress asks for no automatic answer; the person's mail still opens a ticket.
  const ackEligible = classification.kind === 'person' && mayAcknowledge(verdicts, trust) && DELIVERABLE_ADDRESS.test(sender) && !suppressesAutoResponse(mail.headers);
  const origin = ownKey ? `${sender}\n${ownKey}\n${proven ? 'proven' : 'unproven'}` : `ses:${delivery.sesMessageId}`;
  const holder = (deps.newClaimHolder ?? randomUUID)();
  const openedAt = now();
  const allowance: AckAllowance = {
    sender,
    hour: openedAt.toISOString().slice(0, 13),
    perSenderLimit: settings.ackLimitPerSenderPerHour,
    deskLimit: settings.ackLimitPerHour,
  };

  const ack: OutboundSendRecord = ackEligible ? { state: 'sending', holder, leaseUntil: openedAt.getTime() + ACK_CLAIM_LEASE_MS } : { state: 'not-needed' };
  for (let attempt = 0; attempt < MAX_REF_ATTEMPTS; attempt += 1) {
    const ticket = newTicket({
      ref: ticketRefFor(origin, attempt, secret),
      mail,
      sender,
      visibleText: visible,
      language: ticketLanguage,
      decision,
      trust,
      ownAddresses: settings.ownAddresses,
      slaPolicy: settings.slaPolicy,
      openedBy: { sesMessageId: delivery.sesMessageId, origin, receivedAt: delivery.receivedAt },
      ack,
      now: openedAt,
      routing: { tier: routed.lane, ...(routed.assignee ? { assignee: routed.assignee } : {}), flags: routed.flags },
      secretExposed: secretKinds.length > 0,
    });
    const result = await store.openTicket(ticket);
    if (result.status === 'too-large') return quarantine(ITEM_SIZE_REASON, classification, mail);
    if (result.status === 'exists') {
      if (result.existing.openedBy?.origin !== origin) continue;
      if (result.existing.openedBy.sesMessageId !== delivery.sesMessageId) return duplicateOrigin(result.existing.id);
      // This very delivery opened the ticket before: finish what that attempt may not have.
      const planned = plansAcknowledgement(result.existing) ? acknowledgementFor(result.existing, mail, settings, ackExtras(result.existing)) : undefined;
      if ((await writeTicketMessages(result.existing)) === 'too-large') return quarantine(ITEM_SIZE_REASON, classification, mail);
      const acknowledgement = planned ? await finishAcknowledgement(result.existing, planned, allowance, result.existing.openedBy.receivedAt ?? delivery.receivedAt, deps) : undefined;
      await notifyNewTicket(result.existing);
      const warned = await warnNewTicketSender(result.existing);
      await moveRawIfSecret();
      log('duplicate delivery ignored', { sesMessageId: delivery.sesMessageId, ticketId: result.existing.id, acknowledgement });
      return { outcome: 'duplicate', of: delivery.sesMessageId, ticketId: result.existing.id, ...(acknowledgement ? { acknowledgement } : {}) };
    }

    const acknowledgement = ackEligible ? await acknowledgeNewTicket(ticket, withKnownSuppression(acknowledgementFor(ticket, mail, settings, ackExtras(ticket)), context)) : await writeTicketMessages(ticket).then((written) => (written === 'too-large' ? written : 'not-needed'));
    if (acknowledgement === 'too-large') return quarantine(ITEM_SIZE_REASON, classification, mail);
    const notified = await notifyNewTicket(ticket);
    const warned = await warnNewTicketSender(ticket);
    await moveRawIfSecret();
    log('ticket opened', { sesMessageId: delivery.sesMessageId, ticketId: ticket.id, flags: ticket.flags, ack: acknowledgement, tier: ticket.tier, assignee: ticket.assignee, notified, ...(warned ? { secrets: secretKinds.join(','), warned } : {}) });
    return { outcome: 'ticket-created', ticketId: ticket.id, ref: ticket.ref, acknowledgement };
  }
  throw new Error(`could not find an unused ticket reference in ${MAX_REF_ATTEMPTS} attempts`);

  function firstMessageWrites(ticket: Ticket): AlongsideWrites {
    const receivedAt = ticket.openedBy.receivedAt ?? delivery.receivedAt;
    return { messages: [messageFor(ticket.id, receivedAt)], messageIds: ownClaim ? [{ ...ownClaim, ticketId: ticket.id }] : [], events: routingEvents(ticket, receivedAt) };
  }

  function writeTicketMessages(ticket: Ticket) {
    const { messages, messageIds, events } = firstMessageWrites(ticket);
    return store.putMessages(messages, messageIds, events);
  }

  /** The new ticket's assignment (and the leads being told), recorded with its first message. */
  function routingEvents(ticket: Ticket, at: string): TicketEvent[] {
    const events: TicketEvent[] = secretKinds.length > 0 ? [secretEvent(ticket.id, at)] : [];
    if (ticket.assignee) {
      events.push({ ticketId: ticket.id, at, key: `assigned:${delivery.sesMessageId}`, type: 'assigned', actor: 'routing', detail: { to: ticket.assignee, lane: ticket.tier, reason: ticket.assignee === routed.assignee ? routed.reason : 'routed' } });
    }
    if (routed.notifyLeads && routed.leads.length > 0) {
      events.push({ ticketId: ticket.id, at, key: `leads-notified:${delivery.sesMessageId}`, type: 'leads-notified', actor: 'routing', detail: { reason: routed.notifyLeads, leads: routed.leads.map((lead) => lead.id).join(',') } });
    }
    return events;
  }

  /** What an acknowledgement may say of the roster: only to a proven sender, who alone is ever acknowledged. */
  function ackExtras(ticket: Ticket): AcknowledgementExtras {
    if (!knownCustomer) return {};
    const manager = routed.basis === 'dedicated-manager' || routed.basis === 'new-dedicated-manager' ? routed.assigneeStaff : routed.basis === 'backup' ? routed.dedicatedManager : undefined;
    return {
      ...(knownCustomer.antiPhishingCode ? { antiPhishingCode: knownCustomer.antiPhishingCode } : {}),
      ...(ticket.tier === 'vip' && manager ? { manager: { name: manager.name, ...(routed.basis === 'backup' && routed.assigneeStaff ? { standIn: { name: routed.assigneeStaff.name } } : {}) } } : {}),
    };
  }

  /**
   * The sender of a message that held a secret is warned at once, in the ticket's language; their anti-phishing
   * code only when authentication proves them. Returns what became of the warning, for the log.
   */
  async function warnSender(ticket: Ticket, message: TicketMessage, customer: Customer | undefined): Promise<string> {
    if (!DELIVERABLE_ADDRESS.test(message.from)) return 'undeliverable';
    const outcome = await warnOfSecret(
      {
        ticket,
        message,
        kinds: secretKinds,
        ...(proven && customer?.antiPhishingCode ? { antiPhishingCode: customer.antiPhishingCode } : {}),
        ...(proven ? {} : { allowance: { sender, hour: now().toISOString().slice(0, 13), perSenderLimit: settings.ackLimitPerSenderPerHour, deskLimit: settings.ackLimitPerHour } }),
      },
      deps,
    );
    return outcome.status;
  }

  /** The sender of a new ticket's first message, when it held a secret, is warned at once. */
  function warnNewTicketSender(ticket: Ticket): Promise<string | undefined> {
    if (secretKinds.length === 0) return Promise.resolve(undefined);
    return warnSender(ticket, messageFor(ticket.id, ticket.openedBy.receivedAt ?? delivery.receivedAt), knownCustomer);
  }

  /** The new ticket's assignee hears of it, and the leads when routing found nobody fit. Each once. */
  async function notifyNewTicket(ticket: Ticket): Promise<string[]> {
    const message = messageFor(ticket.id, ticket.openedBy.receivedAt ?? delivery.receivedAt);
    const customerTier = knownCustomer?.tier ?? 'standard';
    const outcomes: string[] = [];
    const assignee = ticket.assignee ? staff.find((member) => member.id === ticket.assignee) : undefined;
    if (assignee) {
      const reason = ticket.assignee === routed.assignee ? routed.reason : 'the ticket is assigned to you';
      outcomes.push((await notifyStaff({ ticket, recipient: assignee, message, reason, followUp: false, customerTier }, deps)).status);
    }
    // A redelivery routes again; the leads hear only of the decision the ticket was opened with.
    const sameDecision = ticket.assignee === routed.assignee;
    for (const lead of routed.notifyLeads && sameDecision ? routed.leads : []) {
      outcomes.push((await notifyStaff({ ticket, recipient: lead, message, reason: routed.notifyLeads!, followUp: false, customerTier }, deps)).status);
    }
    return outcomes;
  }

  /** The assignee of `ticket` hears of the customer's follow-up. */
  async function notifyFollowUp(ticket: Ticket, message: TicketMessage): Promise<string | undefined> {
    const assignee = await deps.roster.getStaff(ticket.assignee!);
    if (!assignee) return undefined;
    const sent = await notifyStaff({ ticket, recipient: assignee, message, reason: 'the customer wrote again on a ticket assigned to you', followUp: true, customerTier: ticket.tier }, deps);
    return sent.status;
  }

  /**
   * The creator of `ticket` holds its acknowledgement's claim: count it against the hourly caps, send it, and
   * store the first message in the same write as the send's record. Whatever becomes of the send, the first
   * message is stored before this returns (or, when this throws, by the retry of the delivery).
   */
  async function acknowledgeNewTicket(ticket: Ticket, ackMail: OutboundMail): Promise<AckResult | 'too-large'> {
    const firstMessage = firstMessageWrites(ticket);
    const receivedAt = ticket.openedBy.receivedAt ?? delivery.receivedAt;
    const ledger = acknowledgementLedgerFor(ticket, ackMail, receivedAt, deps, firstMessage);
    let granted: boolean;
    try {
      granted = (await store.takeAckAllowance(allowance)) === 'granted';
      if (!granted) await ledger.withhold(holder);
    } catch (error) {
      // Nothing was sent: let go of the claim so the retry of this delivery can count and send it.
      await ledger.release(holder).catch(() => undefined);
      await writeTicketMessages(ticket).catch(() => undefined);
      throw error;
    }
    let sent: AckResult = 'rate-limited';
    if (granted) {
      try {
        const outcome = await sendAcknowledgement(ticket, ledger, ackMail, holder, allowance, deps);
        if (outcome.result === 'sent') return outcome.alongside === 'stored' ? 'sent' : 'too-large';
        sent = outcome.result;
      } catch (error) {
        // send-once has settled the claim as far as it could; the first message is stored now in case no
        // retry comes (a retry stores it too: its keys depend only on the delivery).
        await writeTicketMessages(ticket).catch(() => undefined);
        throw error;
      }
    } else {
      log('acknowledgement withheld: hourly limit reached', { sesMessageId: delivery.sesMessageId, ref: ticket.ref });
    }
    return (await writeTicketMessages(ticket)) === 'too-large' ? 'too-large' : sent;
  }
}

/** Everything of `mail` that is stored, shown or sent, or that holds what the raw message holds, for redaction. */
function redactionInput(mail: InboundMail): MailToRedact {
  return {
    subject: mail.subject,
    visibleText: extractVisibleText({ ...(mail.text ? { text: mail.text } : {}), ...(mail.html ? { html: mail.html } : {}) }),
    ...(mail.text ? { fullText: mail.text } : {}),
    ...(mail.html ? { html: mail.html } : {}),
    names: [mail.from, ...mail.to, ...mail.cc].flatMap((address) => (address?.name ? [address.name] : [])),
    attachments: mail.attachments,
  };
}

/** Whether the ticket's acknowledgement was ever claimed, so a redelivery may have one to finish. */
function plansAcknowledgement(ticket: Ticket): boolean {
  return ticket.ack.state !== 'not-needed' && ticket.ack.state !== 'rate-limited';
}

/** What the roster adds to an acknowledgement: the customer's anti-phishing code, a VIP's manager. */
type AcknowledgementExtras = Pick<AcknowledgementInput, 'antiPhishingCode' | 'manager'>;

function acknowledgementFor(ticket: Ticket, mail: InboundMail, settings: InboundSettings, extras: AcknowledgementExtras = {}): OutboundMail {
  const references = mail.references.filter((id) => id.length <= MAX_ACK_REFERENCE_CHARS).slice(-MAX_ACK_REFERENCES);
  return buildAcknowledgement({
    ...extras,
    ticket,
    customer: ticket.customer,
    ...(mail.messageId && mail.messageId.length <= MAX_ACK_REFERENCE_CHARS ? { customerMessageId: mail.messageId } : {}),
    customerReferences: references,
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    replyAddress: replyAddressFor(settings.supportAddress, ticket, settings.replyTokenSecret),
    messageId: ownMessageIdFor('ack', ticket.id, settings.supportAddress, settings.replyTokenSecret),
  });
}

/** The acknowledgement as the ticket lists it; whether and when it went out is the ticket's `ack`. */
function acknowledgementMessage(ticket: Ticket, mail: OutboundMail, receivedAt: string, supportAddress: string): TicketMessage {
  return {
    ticketId: ticket.id,
    key: ACK_MESSAGE_KEY,
    direction: 'outbound',
    purpose: 'acknowledgement',
    sendState: 'sending',
    from: supportAddress,
    to: [mail.to],
    cc: [],
    messageId: mail.messageId,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
    subject: mail.subject,
    text: mail.text,
    attachments: [],
    classification: { kind: 'auto-reply', reason: 'acknowledgement sent by Concierge' },
    language: ticket.language,
    receivedAt,
  };
}

/** The acknowledgement's send-once ledger: its claim on the ticket, its outcome on the message as listed. */
function acknowledgementLedgerFor(ticket: Ticket, mail: OutboundMail, receivedAt: string, deps: InboundDependencies, alongside?: AlongsideWrites) {
  return deps.store.acknowledgementLedger(ticket.id, acknowledgementMessage(ticket, mail, receivedAt, deps.settings.supportAddress), alongside);
}

/** Steps 2–3 of send-once for the acknowledgement its holder claimed and counted. */
async function sendAcknowledgement(
  ticket: Ticket,
  ledger: SendOnceLedger,
  mail: OutboundMail,
  holder: string,
  allowance: AckAllowance,
  deps: InboundDependencies,
): Promise<{ result: AckResult; alongside?: RecordedSend['alongside'] }> {
  const { settings } = deps;
  const result = await sendClaimed({
    ledger,
    holder,
    mail,
    sender: deps.mailSender,
    wireMessageId: (sesMessageId) => sesMessageIdHeader(sesMessageId, settings.region),
    now: deps.now ?? (() => new Date()),
    afterRelease: () => deps.store.returnAckAllowance(allowance),
  });
  if (result.status === 'rejected' || result.status === 'suppressed') {
    deps.log?.(result.status === 'rejected' ? 'acknowledgement refused by SES' : 'acknowledgement not sent: the address is suppressed', { ticketId: ticket.id, error: result.error });
    return { result: result.status };
  }
  if (result.status === 'unknown') {
    deps.log?.('acknowledgement state unknown: the send failed after it may have been accepted; not sending again', { ticketId: ticket.id, error: result.error });
    return { result: 'unknown' };
  }
  deps.log?.('acknowledgement sent', { ticketId: ticket.id, ackSesMessageId: result.sesMessageId });
  return { result: 'sent', alongside: result.alongside };
}

/** A redelivery of the mail that opened `ticket`: send the acknowledgement if an earlier attempt left it pending. */
async function finishAcknowledgement(ticket: Ticket, mail: OutboundMail, allowance: AckAllowance, receivedAt: string, deps: InboundDependencies): Promise<AckResult> {
  const holder = (deps.newClaimHolder ?? randomUUID)();
  const nowMs = (deps.now ?? (() => new Date()))().getTime();
  const ledger = acknowledgementLedgerFor(ticket, mail, receivedAt, deps);
  const claim = await ledger.claim(holder, nowMs, nowMs + ACK_CLAIM_LEASE_MS, allowance);
  switch (claim.status) {
    case 'claimed':
      return (await sendAcknowledgement(ticket, ledger, mail, holder, allowance, deps)).result;
    case 'busy':
      return 'claimed-elsewhere';
    case 'abandoned':
      deps.log?.('acknowledgement state unknown after an interrupted send; not sending again', { ticketId: ticket.id });
      return 'unknown';
    case 'over-ack-limit':
      return 'rate-limited';
    case 'settled':
      return claim.record.state === 'sent' || claim.record.state === 'rejected' || claim.record.state === 'unknown' || claim.record.state === 'rate-limited' ? claim.record.state : 'not-needed';
  }
}

async function recordDuplicateOrigin(delivery: InboundDelivery, rawKey: string, ticketId: string, deps: InboundDependencies): Promise<InboundResult> {
  const receipt: InboundReceipt = {
    sesMessageId: delivery.sesMessageId,
    outcome: 'duplicate',
    reason: 'same sender and Message-ID already received under another SES id',
    ticketId,
    rawS3Key: rawKey,
    receivedAt: delivery.receivedAt,
  };
  await deps.store.recordReceipt(receipt);
  deps.log?.('duplicate of mail already stored under another SES id', { sesMessageId: delivery.sesMessageId, ticketId });
  return { outcome: 'duplicate', of: 'an earlier delivery of the same Message-ID', ticketId };
}

/** Stores each attachment as redaction left it: a text attachment that held a secret keeps markers instead. */
async function storeAttachments(attachments: readonly RedactedAttachment[], sesMessageId: string, deps: InboundDependencies): Promise<AttachmentMeta[]> {
  const stored: AttachmentMeta[] = [];
  for (const [index, attachment] of attachments.entries()) {
    // The key depends only on the delivery, so a redelivered message overwrites rather than duplicates.
    const safeName = attachment.filename.replace(/[^\w.\-]+/g, '_').slice(0, 100) || 'attachment';
    const s3Key = `${deps.settings.attachmentPrefix}${sesMessageId}/${index}-${safeName}`;
    await deps.rawMail.putObject(s3Key, attachment.content, attachment.contentType);
    stored.push({
      filename: attachment.filename.slice(0, MAX_STORED_FILENAME_CHARS),
      contentType: attachment.contentType.slice(0, 200),
      size: attachment.size,
      sha256: attachment.sha256,
      s3Key,
      ...(attachment.redacted ? { redacted: attachment.redacted } : {}),
    });
  }
  return stored;
}

const MARKERS = new RegExp(Object.values(REDACTION_MARKERS).map((marker) => marker.replace(/[[\]]/g, '\\$&')).join('|'), 'g');

/** Text without redaction markers: their English words must not sway the language of a Chinese message. */
function withoutMarkers(text: string): string {
  return text.replace(MARKERS, ' ');
}

/**
 * Whether the raw bytes of a message, read as text a window at a time (soft line breaks of quoted-printable
 * joined), hold a secret; for a message the parser refused. Base64 parts are not decoded.
 */
async function rawMessageHoldsSecret(source: RawMessageSource): Promise<boolean> {
  const decoder = new TextDecoder('utf-8');
  let window = '';
  try {
    for await (const chunk of await source.open()) {
      window += decoder.decode(chunk, { stream: true });
      if (window.length < MAX_SCANNED_CHARS) continue;
      if (redactAllSecrets(window.replace(SOFT_LINE_BREAK, '')).found.length > 0) return true;
      window = window.slice(-WINDOW_OVERLAP_CHARS);
    }
    return redactAllSecrets((window + decoder.decode()).replace(SOFT_LINE_BREAK, '')).found.length > 0;
  } finally {
    source.close?.();
  }
}

const SOFT_LINE_BREAK = /=\r?\n/g;

/**
 * S3's answer for a key that may hold nothing: NoSuchKey (a bare 404 from some servers), or AccessDenied, which
 * S3 gives instead to a caller it does not let list the key. The caller then checks where the message went.
 */
function isMissingObject(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.name === 'AccessDenied' || status === 404 || status === 403;
}

export type { SenderTrust, ThreadDecision };
