/**
 * A staff member's answer as the customer receives it: from the support address under the staff member's
 * name, threaded to the customer's latest message, in the ticket's language, with their anti-phishing code.
 */
import type { Language } from '../mail/types';
import type { Ticket } from '../tickets/model';
import type { OutboundMail } from './acknowledgement';
import { antiPhishingLine, boundedReferences, sanitiseDisplayName, ticketSubject } from './template-parts';

export interface CustomerReplyInput {
  ticket: Pick<Ticket, 'ref' | 'subject' | 'language'>;
  /** The ticket's customer address. */
  customer: string;
  /** The answering staff member's name, as the roster has it. */
  staffName: string;
  /** What is relayed: the staff member's text (mail/staff-reply-text.ts) or the API's `text`. */
  text: string;
  /** The customer's code; pass it only when this customer has one (never for an unproven address). */
  antiPhishingCode?: string;
  /** The customer's latest message: its Message-ID and References, so the answer threads under it. */
  latestCustomerMessage?: { messageId: string; references: readonly string[] };
  /** The desk's support address; its name closes the mail. */
  support: { name: string; address: string };
  /** The ticket's customer reply address (`replyAddressFor`). */
  replyAddress: string;
  /** The desk's own Message-ID for this mail. */
  messageId: string;
}

const STAFF_SUFFIX: Record<Language, string> = { en: ' (Support)', zh: '（客服）' };

/** `Alice Wang (Support)`: the display name of an answer, which can neither break the header nor pose as an address. */
export function staffDisplayName(staffName: string, supportName: string, language: Language): string {
  const name = sanitiseDisplayName(staffName);
  return name === '' ? sanitiseDisplayName(supportName) : `${name}${STAFF_SUFFIX[language]}`;
}

/** A person's answer, so no Auto-Submitted: the customer's mail system should treat it like any mail from a person. */
export function buildCustomerReply(input: CustomerReplyInput): OutboundMail {
  const { ticket } = input;
  const language = ticket.language;
  const code = antiPhishingLine(input.antiPhishingCode, language);
  const signer = sanitiseDisplayName(input.staffName);
  const frame =
    language === 'zh'
      ? {
          closing: [signer, input.support.name].filter((line) => line !== ''),
          footer: [
            `工单编号：${ticket.ref}。如需继续沟通，请直接回复本邮件，并保留主题中的工单编号。`,
            '安全提示：我们的工作人员绝不会向您索取密码、助记词或二次验证（2FA）码。',
          ],
        }
      : {
          closing: [signer, input.support.name].filter((line) => line !== ''),
          footer: [
            `Ticket ${ticket.ref}. To continue, reply to this email and keep the ticket reference in the subject.`,
            'Security notice: our staff will never ask for your password, seed phrase or 2FA codes.',
          ],
        };
  const text = [
    ...(code ? [code, ''] : []),
    input.text.trim(),
    '',
    ...frame.closing,
    '',
    '-- ',
    ...frame.footer,
  ];
  const latest = input.latestCustomerMessage;
  return {
    from: { name: staffDisplayName(input.staffName, input.support.name, language), address: input.support.address },
    to: input.customer,
    replyTo: input.replyAddress,
    subject: ticketSubject(ticket.ref, ticket.subject, { reply: true }),
    text: text.join('\n'),
    messageId: input.messageId,
    ...(latest ? { inReplyTo: latest.messageId } : {}),
    references: boundedReferences([...(latest?.references ?? []), latest?.messageId, input.messageId]),
    headers: {
      // Asks Exchange/Outlook not to answer with out-of-office replies; it does not mark the mail automatic.
      'X-Auto-Response-Suppress': 'All',
      'X-Concierge-Ticket': ticket.ref,
    },
  };
}
