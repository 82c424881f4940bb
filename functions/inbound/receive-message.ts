import { classifyMail, suppressesAutoResponse } from '../mail/classify';
import { detectLanguage } from '../mail/language';
import { MailLimitError, MailParseError, parseInboundMail, type MailLimits } from '../mail/parse';
import { headerBlockOf, readSesStampedVerdicts } from '../mail/ses-verdicts';
import type { Classification, InboundMail, Verdicts } from '../mail/types';
import { extractVisibleText } from '../mail/visible-text';
import { buildAcknowledgement, type OutboundMail } from '../outbound/acknowledgement';
import type { FirstResponsePolicy, InboundConfig } from '../commons/config';
import type { DynamoTicketStore, NewMessageWrite } from '../tickets/dynamodb-ticket-store';
import type { AttachmentMeta, InboundReceipt, Priority, Ticket, TicketFlag, TicketMessage, Tier } from '../tickets/model';
import { priorityFor } from '../tickets/priority';
import { messageIdKey, newTicketId, newTicketRef, replyAddressFor, sesMessageIdHeader } from '../tickets/references';
import { resolveThread, type SenderTrust, type ThreadDecision } from '../tickets/threading';

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

export interface InboundDependencies {
  store: DynamoTicketStore;
  rawMail: {
    getRawMessage(key: string, maxBytes: number): Promise<Buffer>;
    putObject(key: string, body: Buffer | readonly Buffer[], contentType: string): Promise<void>;
    copyToQuarantine(sourceKey: string, quarantineKey: string): Promise<void>;
  };
  mailSender: { send(mail: OutboundMail): Promise<{ sesMessageId: string }> };
  /** The inbound configuration, with the reply-address secret already resolved to its value. */
  settings: Omit<InboundConfig, 'tableName' | 'rawMailBucket' | 'replyTokenSecret' | 'sesConfigurationSet' | 's3ForcePathStyle'> & {
    replyTokenSecret: string;
  };

  now?: () => Date;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export type InboundResult =
  | { outcome: 'ticket-created'; ticketId: string; ref: string; acknowledgement: AckResult }
  | { outcome: 'follow-up'; ticketId: string }
  | { outcome: 'quarantined'; reason: string }
  | { outcome: 'discarded'; reason: string }
  | { outcome: 'duplicate'; of: string; acknowledgement?: AckResult };

export type AckResult = 'sent' | 'not-needed' | 'rate-limited' | 'claimed-elsewhere' | 'rejected' | 'unknown';

/**
 * SES errors that retrying cannot fix (a malformed or refused recipient): recorded on the receipt instead
 * of thrown, so the delivery is not retried into the dead-letter queue over an acknowledgement.
 */
const PERMANENT_SEND_ERRORS = new Set(['InvalidParameterValue', 'MessageRejected', 'MailFromDomainNotVerifiedException']);

/** Deliberately plain: an address SES will take, not a full RFC 5322 parser. */
const DELIVERABLE_ADDRESS = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/** Stored text is cut here so a message always fits a DynamoDB item; the raw message keeps the rest. */
export const MAX_STORED_TEXT_CHARS = 64_000;
export const MAX_STORED_SUBJECT_CHARS = 998;
/** Longer than the function's timeout: while it runs, another delivery of the same event leaves the send alone. */
export const ACK_CLAIM_LEASE_MS = 90_000;
const MAX_REF_ATTEMPTS = 5;
/** Stored text is also cut by UTF-8 size: 64 000 Chinese characters would be 192 KB. */
export const MAX_STORED_TEXT_BYTES = 100_000;
/** Per message: addresses kept in to/cc, References kept, attachment filename length. */
export const MAX_STORED_ADDRESSES = 50;
export const MAX_STORED_REFERENCES = 20;
export const MAX_STORED_FILENAME_CHARS = 255;
const ITEM_SIZE_REASON = 'limit item-size: the message record would exceed DynamoDB’s 400 KB item limit';

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

/** How far SES's verdicts vouch for the From address (see SenderTrust). */
export function senderTrust(verdicts: Verdicts): SenderTrust {
  if (verdicts.dmarc === 'FAIL' || (verdicts.spf === 'FAIL' && verdicts.dkim === 'FAIL')) return 'failed';
  if (verdicts.dmarc === 'PASS') return 'aligned';
  if (verdicts.spf === 'PASS' || verdicts.dkim === 'PASS') return 'plausible';
  return 'unknown';
}

/**
 * An acknowledgement is official mail from the desk to the From address: it goes only where the content
 * passed both scans and the sender's authentication did not fail and is not entirely unknown.
 */
export function mayAcknowledge(verdicts: Verdicts, trust: SenderTrust): boolean {
  return verdicts.spam === 'PASS' && verdicts.virus === 'PASS' && (trust === 'aligned' || trust === 'plausible');
}

export function firstResponseMinutes(policy: FirstResponsePolicy, tier: Tier, priority: Priority): number {
  if (tier === 'vip') return priority === 'urgent' ? policy.vipUrgent : policy.vip;
  return priority === 'urgent' ? policy.standardUrgent : policy.standard;
}

/**
 * Turns one message SES received into ticket state:
 * 1. skip it if this SES id was already handled (finishing a pending acknowledgement);
 * 2. fetch and parse the raw message under explicit limits; quarantine what breaks them;
 * 3. take verdicts from SES only; classify; quarantine spam and viruses;
 * 4. thread it (headers, signed reply address, subject token; parties only);
 * 5. store it with its receipt in one transaction; machine mail that threads nowhere is only recorded;
 * 6. acknowledge a new ticket opened by a verified person, at most N per sender per hour.
 */
export async function receiveMessage(delivery: InboundDelivery, deps: InboundDependencies): Promise<InboundResult> {
  const { store, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const rawKey = `${settings.rawMailPrefix}${delivery.sesMessageId}`;

  const previous = await store.getReceipt(delivery.sesMessageId);
  if (previous) return finishDuplicate(previous, deps);

  const quarantine = async (reason: string, classification: Classification, mail?: InboundMail): Promise<InboundResult> => {
    await deps.rawMail.copyToQuarantine(rawKey, `${settings.quarantinePrefix}${delivery.sesMessageId}`);
    const recorded = await store.recordReceiptOnly({
      sesMessageId: delivery.sesMessageId,
      outcome: 'quarantined',
      reason,
      classification,
      ...(mail?.from ? { from: mail.from.address } : {}),
      ...(mail ? { subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS) } : {}),
      rawS3Key: rawKey,
      ackState: 'not-needed',
      receivedAt: delivery.receivedAt,
    });
    deps.log?.('message quarantined', { sesMessageId: delivery.sesMessageId, reason, recorded });
    return { outcome: 'quarantined', reason };
  };

  let raw: Buffer;
  let mail: InboundMail;
  try {
    raw = await deps.rawMail.getRawMessage(rawKey, settings.mailLimits.maxMessageBytes);
    mail = await parseInboundMail(raw, settings.mailLimits);
  } catch (error) {
    if (error instanceof MailLimitError) {
      return quarantine(`limit ${error.limit}: ${error.message}`, { kind: 'unparseable', reason: `limit ${error.limit}` });
    }
    if (error instanceof MailParseError) {
      return quarantine(`unparseable: ${error.message}`, { kind: 'unparseable', reason: 'parser error' });
    }
    throw error;
  }

  const verdicts = delivery.verdicts ?? readSesStampedVerdicts(headerBlockOf(raw)) ?? UNKNOWN_VERDICTS;
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
    return quarantine(`${classification.kind}: ${classification.reason}`, classification, mail);
  }

  const sender = (mail.from?.address ?? delivery.envelopeSender).toLowerCase();
  const trust = senderTrust(verdicts);
  const machineGenerated = classification.kind !== 'person';
  const visible = extractVisibleText({ ...(mail.text ? { text: mail.text } : {}), ...(mail.html ? { html: mail.html } : {}) });
  const language = detectLanguage(visible, mail.subject);

  const decision = await resolveThread(
    {
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      recipients: [...delivery.recipients, ...mail.to.map((a) => a.address), ...mail.cc.map((a) => a.address)],
      subject: mail.subject,
      sender,
      senderTrust: trust,
      machineGenerated,
    },
    store,
    { address: settings.supportAddress, replyTokenSecret: settings.replyTokenSecret },
  );

  if (machineGenerated && decision.kind === 'new') {
    await store.recordReceiptOnly({
      sesMessageId: delivery.sesMessageId,
      outcome: 'discarded',
      reason: `${classification.kind}: ${classification.reason}`,
      classification,
      ...(sender ? { from: sender } : {}),
      subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS),
      rawS3Key: rawKey,
      ackState: 'not-needed',
      receivedAt: delivery.receivedAt,
    });
    return { outcome: 'discarded', reason: `${classification.kind}: ${classification.reason}` };
  }

  const attachments = await storeAttachments(mail, delivery.sesMessageId, deps);
  const ownMessageIdKey = mail.messageId ? messageIdKey(mail.messageId) : undefined;
  const alreadyIndexed = ownMessageIdKey ? (await store.ticketIdsForMessageIds([ownMessageIdKey])).has(ownMessageIdKey) : true;
  const stored = truncateText(visible, MAX_STORED_TEXT_CHARS, MAX_STORED_TEXT_BYTES);

  const messageFor = (ticketId: string): TicketMessage => ({
    ticketId,
    key: delivery.sesMessageId,
    direction: 'inbound',
    from: sender,
    to: mail.to.slice(0, MAX_STORED_ADDRESSES).map((a) => a.address),
    cc: mail.cc.slice(0, MAX_STORED_ADDRESSES).map((a) => a.address),
    messageId: mail.messageId ?? `<${delivery.sesMessageId}@inbound.concierge>`,
    ...(mail.inReplyTo[0] ? { inReplyTo: mail.inReplyTo[0] } : {}),
    ...(mail.references.length > 0 ? { references: mail.references.slice(-MAX_STORED_REFERENCES) } : {}),
    ...(mail.date ? { date: mail.date } : {}),
    subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS),
    text: stored.text,
    ...(stored.truncated ? { textTruncated: true } : {}),
    attachments,
    verdicts,
    classification,
    language,
    rawS3Key: rawKey,
    receivedAt: delivery.receivedAt,
  });
  const writeFor = (ticketId: string, outcome: 'ticket-created' | 'follow-up', ackState: InboundReceipt['ackState']): NewMessageWrite => ({
    receipt: {
      sesMessageId: delivery.sesMessageId,
      outcome,
      ticketId,
      classification,
      ...(sender ? { from: sender } : {}),
      subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS),
      rawS3Key: rawKey,
      ackState,
      receivedAt: delivery.receivedAt,
    },
    message: messageFor(ticketId),
    ...(ownMessageIdKey && !alreadyIndexed ? { indexMessageId: ownMessageIdKey } : {}),
    ...(ownMessageIdKey && sender ? { origin: { sender, messageIdKey: ownMessageIdKey } } : {}),
  });

  if (decision.kind === 'existing') {
    const reopen = !machineGenerated && decision.ticket.status === 'waiting-on-customer';
    const result = await store.appendMessage(decision.ticket.id, writeFor(decision.ticket.id, 'follow-up', 'not-needed'), { reopen });
    if (result.status === 'too-large') return quarantine(ITEM_SIZE_REASON, classification, mail);
    if (result.status !== 'recorded') return afterConflict(result.status, delivery, rawKey, deps);
    deps.log?.('follow-up stored', { sesMessageId: delivery.sesMessageId, ticketId: decision.ticket.id, via: decision.via });
    return { outcome: 'follow-up', ticketId: decision.ticket.id };
  }

  // X-Auto-Response-Suppress asks for no automatic answer; the person's mail still opens a ticket.
  const ackEligible =
    classification.kind === 'person' &&
    mayAcknowledge(verdicts, trust) &&
    DELIVERABLE_ADDRESS.test(sender) &&
    !suppressesAutoResponse(mail.headers);
  const ticket = newTicket(mail, sender, visible, language, decision, trust, settings, now());
  for (let attempt = 0; attempt < MAX_REF_ATTEMPTS; attempt += 1) {
    const result = await store.createTicket(ticket, writeFor(ticket.id, 'ticket-created', ackEligible ? 'pending' : 'not-needed'));
    if (result.status === 'ref-taken') {
      ticket.ref = newTicketRef();
      continue;
    }
    if (result.status === 'too-large') return quarantine(ITEM_SIZE_REASON, classification, mail);
    if (result.status !== 'recorded') return afterConflict(result.status, delivery, rawKey, deps);
    deps.log?.('ticket created', { sesMessageId: delivery.sesMessageId, ticketId: ticket.id, ref: ticket.ref, flags: ticket.flags });
    const acknowledgement = ackEligible
      ? await acknowledge(delivery.sesMessageId, ticket, { messageId: mail.messageId, references: mail.references }, deps)
      : 'not-needed';
    return { outcome: 'ticket-created', ticketId: ticket.id, ref: ticket.ref, acknowledgement };
  }
  throw new Error(`could not draw an unused ticket reference in ${MAX_REF_ATTEMPTS} attempts`);
}

function newTicket(
  mail: InboundMail,
  sender: string,
  visible: string,
  language: Ticket['language'],
  decision: Extract<ThreadDecision, { kind: 'new' }>,
  trust: SenderTrust,
  settings: InboundDependencies['settings'],
  now: Date,
): Ticket {
  const own = new Set(settings.ownAddresses);
  const isOwn = (address: string) => own.has(address) || own.has(address.replace(/\+[^@]*@/, '@'));
  const priority = priorityFor(mail.subject, visible);
  const flags: TicketFlag[] = [];
  if (trust === 'failed' || trust === 'unknown') flags.push('unverified-sender');
  if (decision.strangerReference) flags.push('stranger-reference');
  if (priority === 'urgent') flags.push('security-incident');
  const tier: Tier = 'standard';
  const createdAt = now.toISOString();
  const dueAt = new Date(now.getTime() + firstResponseMinutes(settings.firstResponseMinutes, tier, priority) * 60_000);
  return {
    id: newTicketId(),
    ref: newTicketRef(),
    subject: mail.subject.slice(0, MAX_STORED_SUBJECT_CHARS),
    status: 'open',
    customer: sender,
    parties: [...new Set([sender, ...mail.cc.slice(0, MAX_STORED_ADDRESSES).map((a) => a.address).filter((address) => !isOwn(address))])].filter(Boolean),
    flags,
    ...(decision.strangerReference ? { referencedTicketId: decision.strangerReference.ticketId } : {}),
    language,
    tier,
    priority,
    createdAt,
    updatedAt: createdAt,
    firstResponseDueAt: dueAt.toISOString(),
    messageCount: 1,
  };
}

async function storeAttachments(mail: InboundMail, sesMessageId: string, deps: InboundDependencies): Promise<AttachmentMeta[]> {
  const stored: AttachmentMeta[] = [];
  for (const [index, attachment] of mail.attachments.entries()) {
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
    });
  }
  return stored;
}

async function afterConflict(
  status: 'duplicate-delivery' | 'duplicate-origin' | 'ref-taken' | 'too-large',
  delivery: InboundDelivery,
  rawKey: string,
  deps: InboundDependencies,
): Promise<InboundResult> {
  // A reference collision is only possible when opening a ticket, where the caller draws a new one.
  if (status === 'duplicate-delivery' || status === 'ref-taken' || status === 'too-large') {
    const receipt = await deps.store.getReceipt(delivery.sesMessageId);
    if (!receipt) throw new Error(`delivery ${delivery.sesMessageId} conflicted but has no receipt`);
    return finishDuplicate(receipt, deps);
  }
  await deps.store.recordReceiptOnly({
    sesMessageId: delivery.sesMessageId,
    outcome: 'duplicate',
    reason: 'same sender and Message-ID already received under another SES id',
    rawS3Key: rawKey,
    ackState: 'not-needed',
    receivedAt: delivery.receivedAt,
  });
  return { outcome: 'duplicate', of: 'an earlier delivery of the same Message-ID' };
}

/** A delivery seen before: nothing to store, but a crashed attempt may have left its acknowledgement unsent. */
async function finishDuplicate(receipt: InboundReceipt, deps: InboundDependencies): Promise<InboundResult> {
  if (receipt.ackState === 'sending') {
    const nowMs = (deps.now ?? (() => new Date()))().getTime();
    if (await deps.store.abandonStaleAcknowledgement(receipt.sesMessageId, nowMs)) {
      deps.log?.('acknowledgement state unknown after an interrupted send; not sending again', { sesMessageId: receipt.sesMessageId });
      return { outcome: 'duplicate', of: receipt.sesMessageId, acknowledgement: 'unknown' };
    }
    return { outcome: 'duplicate', of: receipt.sesMessageId, acknowledgement: 'claimed-elsewhere' };
  }
  if (receipt.outcome === 'ticket-created' && receipt.ackState === 'pending' && receipt.ticketId) {
    const ticket = await deps.store.getTicket(receipt.ticketId);
    const [first] = ticket ? await deps.store.listMessages(ticket.id) : [];
    if (ticket && first) {
      const acknowledgement = await acknowledge(
        receipt.sesMessageId,
        ticket,
        { messageId: first.messageId, references: first.references ?? [] },
        deps,
      );
      return { outcome: 'duplicate', of: receipt.sesMessageId, acknowledgement };
    }
  }
  return { outcome: 'duplicate', of: receipt.sesMessageId };
}

/** Sends the acknowledgement for a new ticket at most once, within the sender's hourly allowance. */
async function acknowledge(
  sesMessageId: string,
  ticket: Ticket,
  customerMessage: { messageId: string | undefined; references: string[] },
  deps: InboundDependencies,
): Promise<AckResult> {
  const { store, settings } = deps;
  const nowMs = (deps.now ?? (() => new Date()))().getTime();
  if (!(await store.claimAcknowledgement(sesMessageId, nowMs, ACK_CLAIM_LEASE_MS))) return 'claimed-elsewhere';
  if (!(await store.reserveAcknowledgementQuota(ticket.customer, nowMs, settings.ackLimitPerSenderPerHour))) {
    await store.setAckState(sesMessageId, 'rate-limited');
    deps.log?.('acknowledgement withheld: sender over hourly limit', { sesMessageId, ticketId: ticket.id });
    return 'rate-limited';
  }
  const domain = settings.supportAddress.slice(settings.supportAddress.lastIndexOf('@') + 1);
  const ownMessageId = `<ack.${ticket.id}.${sesMessageId}@${domain}>`;
  const mail = buildAcknowledgement({
    ticket,
    customer: ticket.customer,
    ...(customerMessage.messageId ? { customerMessageId: customerMessage.messageId } : {}),
    customerReferences: customerMessage.references,
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    replyAddress: replyAddressFor(settings.supportAddress, ticket, settings.replyTokenSecret),
    messageId: ownMessageId,
  });
  let sent: { sesMessageId: string };
  try {
    sent = await deps.mailSender.send(mail);
  } catch (error) {
    if (error instanceof Error && PERMANENT_SEND_ERRORS.has(error.name)) {
      await store.setAckState(sesMessageId, 'rejected', `${error.name}: ${error.message}`);
      deps.log?.('acknowledgement refused by SES', { sesMessageId, ticketId: ticket.id, error: error.name });
      return 'rejected';
    }
    await store.returnAcknowledgementQuota(ticket.customer, nowMs);
    await store.releaseAcknowledgement(sesMessageId);
    throw error;
  }
  const wireMessageId = sesMessageIdHeader(sent.sesMessageId, settings.region);
  await store.recordAcknowledgementSent(
    sesMessageId,
    {
      ticketId: ticket.id,
      key: sent.sesMessageId,
      direction: 'outbound',
      from: settings.supportAddress,
      to: [ticket.customer],
      cc: [],
      messageId: wireMessageId,
      originalMessageId: ownMessageId,
      ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
      subject: mail.subject,
      text: mail.text,
      attachments: [],
      classification: { kind: 'auto-reply', reason: 'acknowledgement sent by Concierge' },
      language: ticket.language,
      receivedAt: new Date(nowMs).toISOString(),
    },
    [messageIdKey(wireMessageId), messageIdKey(ownMessageId)],
  );
  deps.log?.('acknowledgement sent', { sesMessageId, ticketId: ticket.id, ackSesMessageId: sent.sesMessageId });
  return 'sent';
}
