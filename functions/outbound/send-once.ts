/**
 * Send exactly once, or never twice: the one mechanism behind every mail the desk sends for a ticket
 * (acknowledgements, staff notifications, relayed answers, notices to staff).
 *
 * 1. claim: the record goes `pending → sending` for one holder with a lease (a ticket's creator claims its
 *    acknowledgement in the very write that creates the ticket);
 * 2. send through SES;
 * 3. record: `sending → sent` with the ids SES returned, retried until it lands, because once SES has accepted
 *    the mail this record is the only thing that keeps a redelivery from sending it again;
 * the record's write may carry the caller's own idempotent writes (a ticket's first message), saving a request;
 * a send that certainly failed goes back to `pending` for the retry, a permanent refusal is `rejected`, and a
 * claim whose holder vanished mid-send becomes `unknown` at the next look (see SendOnceLedger.claim). Every
 * change after the claim is conditional on the holder, so a slow holder and a retry never undo each other.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MailSender } from '../ports/mail-sender';
import type { RecordedSend, SendOnceLedger } from '../ports/ticket-store';
import type { OutboundMail } from './acknowledgement';
import { AddressSuppressedError } from './suppression-guard';

/**
 * SES errors that retrying cannot fix (a malformed or refused recipient): recorded instead of thrown, so the
 * delivery is not retried into the dead-letter queue over one outbound mail.
 */
export const PERMANENT_SEND_ERRORS: ReadonlySet<string> = new Set(['InvalidParameterValue', 'MessageRejected', 'MailFromDomainNotVerifiedException']);

/**
 * Failures that certainly came before SES accepted anything: it refused for rate or availability, or no
 * connection was ever made. Only these release the claim for a retry. A time-out, a reset or a 5xx answer may
 * come after SES accepted the mail, so it settles as `unknown` and is never sent again.
 */
const NOT_ACCEPTED_ERROR_NAMES: ReadonlySet<string> = new Set(['Throttling', 'ThrottlingException', 'ServiceUnavailable', 'ServiceUnavailableException', 'TooManyRequestsException']);
const NOT_CONNECTED_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function certainlyNotAccepted(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return NOT_ACCEPTED_ERROR_NAMES.has(error.name) || (code !== undefined && NOT_CONNECTED_CODES.has(code));
}

/** Waits between attempts to record an accepted send: about 7 s in all, well inside the function's timeout. */
export const RECORD_RETRY_DELAYS_MS: readonly number[] = [100, 300, 1_000, 2_000, 4_000];

export type SendOnceResult =
  | ({ status: 'sent'; sesMessageId: string } & RecordedSend)
  | { status: 'rejected'; error: string }
  | { status: 'unknown'; error: string }
  /** The recipient is on the suppression list; nothing was sent. */
  | { status: 'suppressed'; error: string };

export interface SendOnceInput {
  ledger: SendOnceLedger;
  holder: string;
  mail: OutboundMail;
  sender: MailSender;
  /** The Message-ID SES gives a message with this SES id (region-specific). */
  wireMessageId: (sesMessageId: string) => string;
  now: () => Date;
  /**
   * Runs after a send that certainly failed, once the claim is released, and after a send to a suppressed
   * address, which never reached SES (e.g. give an hourly slot back).
   */
  afterRelease?: () => Promise<void>;
  recordRetryDelaysMs?: readonly number[];
}

/**
 * Steps 2 and 3 for a holder that has claimed the record. Throws (for a retry) only when the send certainly
 * failed; a failure that may have come after SES accepted the mail settles as `unknown`.
 */
export async function sendClaimed(input: SendOnceInput): Promise<SendOnceResult> {
  const { ledger, holder, mail } = input;
  let sesMessageId: string;
  try {
    ({ sesMessageId } = await input.sender.send(mail));
  } catch (error) {
    // The one check every send passes (the handlers' MailSender is outbound/suppression-guard.ts).
    if (error instanceof AddressSuppressedError) {
      await ledger.suppress(holder, error.message);
      await input.afterRelease?.().catch(() => undefined);
      return { status: 'suppressed', error: error.message };
    }
    if (error instanceof Error && PERMANENT_SEND_ERRORS.has(error.name)) {
      const reason = `${error.name}: ${error.message}`.slice(0, 500);
      await ledger.reject(holder, reason);
      return { status: 'rejected', error: reason };
    }
    if (!certainlyNotAccepted(error)) {
      const reason = `${error instanceof Error ? error.name : 'Error'}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
      await ledger.settleUnknown(holder, reason);
      return { status: 'unknown', error: reason };
    }
    await ledger.release(holder);
    await input.afterRelease?.();
    throw error;
  }
  const sent = { sesMessageId, messageId: input.wireMessageId(sesMessageId), ownMessageId: mail.messageId, sentAt: input.now().toISOString() };
  const recorded = await recordWithRetries(() => ledger.recordSent(holder, sent), input.recordRetryDelaysMs ?? RECORD_RETRY_DELAYS_MS);
  return { status: 'sent', sesMessageId, ...recorded };
}

async function recordWithRetries<T>(record: () => Promise<T>, delaysMs: readonly number[]): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await record();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined) throw error;
      await sleep(delay);
    }
  }
}

export type SendOnceOutcome = SendOnceResult | { status: 'already-sent'; sesMessageId?: string } | { status: 'busy' } | { status: 'settled'; state: string };

/**
 * All three steps for a record nobody has claimed in another write: claim it for a fresh holder, send, record.
 * A record claimed before answers with what became of it; one whose holder is still within its lease is
 * `busy`, and one whose holder vanished mid-send settles as `unknown` (never a second send).
 */
export async function sendOnce(input: Omit<SendOnceInput, 'holder'> & { holder: string; leaseMs: number }): Promise<SendOnceOutcome> {
  const nowMs = input.now().getTime();
  const claim = await input.ledger.claim(input.holder, nowMs, nowMs + input.leaseMs);
  switch (claim.status) {
    case 'claimed':
      return sendClaimed(input);
    case 'busy':
      return { status: 'busy' };
    case 'abandoned':
      return { status: 'unknown', error: 'an earlier attempt was interrupted mid-send' };
    case 'over-ack-limit':
      return { status: 'settled', state: 'rate-limited' };
    case 'settled':
      return claim.record.state === 'sent' ? { status: 'already-sent', ...(claim.record.sesMessageId ? { sesMessageId: claim.record.sesMessageId } : {}) } : { status: 'settled', state: claim.record.state };
  }
}
