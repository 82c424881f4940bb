/**
 * The notice a staff member gets when the outbound guard stopped their emailed answer: what it found, how to
 * write the answer so it goes out, and that nothing reached the customer. Like the reply-rejected notice it
 * repeats nothing of the customer, and nothing of the answer but the unlisted addresses it names.
 */
import type { OutboundMail } from './acknowledgement';
import { staffNoticeMail } from './template-parts';

export interface ReplyBlockedNoticeInput {
  ref: string;
  /** Why, in words (GuardVerdict.detail). */
  detail: string;
  /** The staff member who wrote the answer. */
  to: string;
  /** Their answer's Message-ID, so the notice threads under it. */
  inReplyTo?: string;
  support: { name: string; address: string };
  messageId: string;
}

export function buildReplyBlockedNotice(input: ReplyBlockedNoticeInput): OutboundMail {
  const text = [
    `Your reply about ticket ${input.ref} was not sent to the customer.`,
    '',
    `The outbound guard stopped it: ${input.detail}.`,
    '',
    'Support never asks customers for passwords, recovery phrases, private keys or 2FA, SMS or authenticator codes, never asks for remote access to their devices, never asks them to send funds to verify anything, and names no crypto address but the published deposit addresses.',
    'If you meant to warn the customer, say it plainly ("we will never ask for your recovery phrase"). To refer to the customer\'s own address, write only its last characters ("the address ending in 9f3a").',
    '',
    'Nothing reached the customer. This notice is automatic; the attempt is recorded on the ticket.',
  ];
  return staffNoticeMail({ ref: input.ref, to: input.to, subject: `[#${input.ref}] Your reply was not sent`, lines: text, support: input.support, messageId: input.messageId, thread: [input.inReplyTo] });
}
