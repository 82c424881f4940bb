/**
 * The customer who sent a secret is warned at once (outbound/secret-warning.ts), once per message that held
 * one: the warning is its own outbound message keyed by the delivery, sent through send-once. A sender whom
 * authentication does not prove may be a forger using someone else's address, so such a warning counts against
 * the acknowledgements' hourly caps (per sender and desk-wide) and is withheld past them: the warning says
 * nothing of the forger's choosing, but it must not become a way to flood an address with mail.
 */
import { randomUUID } from 'node:crypto';
import { buildSecretWarning } from '../outbound/secret-warning';
import { sendClaimed, type SendOnceOutcome } from '../outbound/send-once';
import type { MailSender } from '../ports/mail-sender';
import type { AckAllowance, TicketStore } from '../ports/ticket-store';
import type { SecretKind } from '../secrets/detect';
import type { Ticket, TicketMessage } from './model';
import { OUTBOUND_CLAIM_LEASE_MS, outboundMessage } from './outbound-messages';
import { ownMessageDiscriminator, ownMessageIdFor, replyAddressFor, sesMessageIdHeader } from './references';

export interface SecretWarningDependencies {
  store: Pick<TicketStore, 'outboundLedger' | 'takeAckAllowance' | 'returnAckAllowance'>;
  mailSender: MailSender;
  settings: { supportAddress: string; supportDisplayName: string; replyTokenSecret: string; region: string };
  now?: () => Date;
  newClaimHolder?: () => string;
}

export interface SecretWarningRequest {
  ticket: Pick<Ticket, 'id' | 'ref' | 'language'>;
  /** The customer's message that held the secret (as stored: redacted). */
  message: Pick<TicketMessage, 'key' | 'from' | 'messageId' | 'references' | 'receivedAt'>;
  kinds: readonly SecretKind[];
  /** Only for a customer who has one and whose address is proven. */
  antiPhishingCode?: string;
  /** The hourly caps to count against: for a sender authentication does not prove; absent for one it does. */
  allowance?: AckAllowance;
}

export type SecretWarningResult = SendOnceOutcome | { status: 'rate-limited' };

export async function warnOfSecret(request: SecretWarningRequest, deps: SecretWarningDependencies): Promise<SecretWarningResult> {
  const { ticket, message, settings } = { ...request, settings: deps.settings };
  const discriminator = ownMessageDiscriminator(`secret-warning\n${message.key}`);
  const mail = buildSecretWarning({
    ticket,
    customer: message.from,
    kinds: request.kinds,
    customerMessage: { messageId: message.messageId, references: message.references ?? [] },
    support: { name: settings.supportDisplayName, address: settings.supportAddress },
    replyAddress: replyAddressFor(settings.supportAddress, ticket, settings.replyTokenSecret),
    messageId: ownMessageIdFor('warn', ticket.id, settings.supportAddress, settings.replyTokenSecret, discriminator),
    ...(request.antiPhishingCode ? { antiPhishingCode: request.antiPhishingCode } : {}),
  });
  const warning = outboundMessage(mail, {
    ticketId: ticket.id,
    key: `~warn:${discriminator}`,
    purpose: 'secret-warning',
    text: mail.text,
    classification: { kind: 'auto-reply', reason: 'secret warning sent by Concierge' },
    language: ticket.language,
    receivedAt: message.receivedAt,
  });
  const ledger = deps.store.outboundLedger(warning);
  const now = deps.now ?? (() => new Date());
  const holder = (deps.newClaimHolder ?? randomUUID)();
  const nowMs = now().getTime();
  const claim = await ledger.claim(holder, nowMs, nowMs + OUTBOUND_CLAIM_LEASE_MS);
  switch (claim.status) {
    case 'busy':
      return { status: 'busy' };
    case 'abandoned':
      return { status: 'unknown', error: 'an earlier attempt was interrupted mid-send' };
    case 'over-ack-limit':
      return { status: 'rate-limited' };
    case 'settled':
      return claim.record.state === 'sent' ? { status: 'already-sent', ...(claim.record.sesMessageId ? { sesMessageId: claim.record.sesMessageId } : {}) } : { status: 'settled', state: claim.record.state };
    case 'claimed':
      break;
  }
  const allowance = request.allowance;
  if (allowance) {
    try {
      if ((await deps.store.takeAckAllowance(allowance)) !== 'granted') {
        await ledger.withhold(holder);
        return { status: 'rate-limited' };
      }
    } catch (error) {
      await ledger.release(holder).catch(() => undefined);
      throw error;
    }
  }
  return sendClaimed({
    ledger,
    holder,
    mail,
    sender: deps.mailSender,
    wireMessageId: (sesMessageId) => sesMessageIdHeader(sesMessageId, settings.region),
    now,
    ...(allowance ? { afterRelease: () => deps.store.returnAckAllowance(allowance) } : {}),
  });
}
