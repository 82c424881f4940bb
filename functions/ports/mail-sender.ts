import type { OutboundMail } from '../outbound/acknowledgement';

/** Sends one message; resolves with the id SES assigned (its Message-ID on the wire). */
export interface MailSender {
  send(mail: OutboundMail): Promise<{ sesMessageId: string }>;
}
