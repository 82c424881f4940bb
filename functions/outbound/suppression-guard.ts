/**
 * Nothing is sent to an address on the suppression list. Every mail the desk sends passes a MailSender, so
 * the check wraps the sender once per handler: a suppressed recipient makes the send throw
 * AddressSuppressedError before SES is called, and send-once settles the claim as `suppressed` with the
 * reason (outbound/send-once.ts).
 */
import type { MailSender } from '../ports/mail-sender';
import type { SuppressionStore } from '../ports/suppression-store';
import { describeSuppression, normaliseAddress, type Suppression } from '../suppression/model';
import type { OutboundMail } from './acknowledgement';

/** What a read made for another purpose learnt of an address's suppression: its record, or that it has none. */
export interface KnownSuppression {
  address: string;
  suppression?: Suppression;
}

export class AddressSuppressedError extends Error {
  override readonly name = 'AddressSuppressedError';
  constructor(readonly suppression: Suppression) {
    super(describeSuppression(suppression));
  }
}

export class SuppressionCheckingMailSender implements MailSender {
  constructor(
    private readonly inner: MailSender,
    private readonly suppressions: Pick<SuppressionStore, 'getSuppression'>,
  ) {}

  async send(mail: OutboundMail): Promise<{ sesMessageId: string }> {
    const known = mail.knownSuppression && normaliseAddress(mail.knownSuppression.address) === normaliseAddress(mail.to) ? mail.knownSuppression : undefined;
    const suppression = known ? known.suppression : await this.suppressions.getSuppression(mail.to);
    if (suppression?.active) throw new AddressSuppressedError(suppression);
    return this.inner.send(mail);
  }
}

/** `mail` carrying what a batch read found of its recipient's suppression; unchanged when nothing was read. */
export function withKnownSuppression(mail: OutboundMail, lookup: { suppressionOf?: KnownSuppression } | undefined): OutboundMail {
  return lookup?.suppressionOf ? { ...mail, knownSuppression: lookup.suppressionOf } : mail;
}
