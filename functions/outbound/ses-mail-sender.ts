import { SendRawEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { OutboundMail } from './acknowledgement';
import { composeMime } from './compose-mime';
import { createSesClient } from '../commons/clients/ses';
import type { MailSender } from '../ports/mail-sender';
import type { SuppressionStore } from '../ports/suppression-store';
import { SuppressionCheckingMailSender } from './suppression-guard';

/** Sends through SES and returns the message id SES assigned (its Message-ID header on the wire). */
export class SesMailSender {
  constructor(
    private readonly ses: SESClient,
    private readonly configurationSet?: string,
  ) {}

  async send(mail: OutboundMail): Promise<{ sesMessageId: string }> {
    const raw = await composeMime(mail);
    const result = await this.ses.send(
      new SendRawEmailCommand({
        RawMessage: { Data: raw },
        Source: mail.from.address,
        Destinations: [mail.to],
        ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
      }),
    );
    if (!result.MessageId) throw new Error('SES accepted the message but returned no MessageId');
    return { sesMessageId: result.MessageId };
  }
}

/** How every handler sends: through SES with the desk's configuration set, and never to a suppressed address. */
export function deskMailSender(configurationSet: string | undefined, suppressions: Pick<SuppressionStore, 'getSuppression'>): MailSender {
  return new SuppressionCheckingMailSender(new SesMailSender(createSesClient(), configurationSet), suppressions);
}
