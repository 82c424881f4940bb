import { SendRawEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { OutboundMail } from './acknowledgement';

/** Builds the MIME message for `mail` with nodemailer's composer. */
export async function composeMime(mail: OutboundMail): Promise<Buffer> {
  const composer = new MailComposer({
    from: mail.from,
    to: mail.to,
    replyTo: mail.replyTo,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
    references: mail.references,
    headers: mail.headers,
    textEncoding: 'quoted-printable',
  });
  return composer.compile().build();
}

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
