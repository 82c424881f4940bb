import { SendRawEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { OutboundMail } from './acknowledgement';
import { composeMime } from './compose-mime';

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
