import type { OutboundMail } from './acknowledgement';
import { staffNoticeMail } from './template-parts';

export interface DeliveryFailedNoticeInput {
  ref: string;
  to: string;
  /** The address the answer could not reach, and why (describeSuppression). */
  address: string;
  why: string;
  support: { name: string; address: string };
  messageId: string;
  /** The Message-IDs of the answer that bounced: the notice threads under it. */
  answerMessageIds: readonly string[];
}

/** Tells a member of staff that their answer did not reach the customer and that the address is now suppressed. */
export function buildDeliveryFailedNotice(input: DeliveryFailedNoticeInput): OutboundMail {
  const text = [
    `Your answer on ticket ${input.ref} could not be delivered to ${input.address}.`,
    '',
    `Why: ${input.why}.`,
    '',
    'The address is now on the suppression list: nothing more is sent to it, from anyone at the desk, until it is',
    'lifted (DELETE /suppressions/{email} with a reason, or `npx concierge suppressions lift <email> --reason "…"`).',
    'Reach the customer another way if the matter is urgent. This notice is automatic; the bounce is recorded on the ticket.',
  ];
  return staffNoticeMail({ ref: input.ref, to: input.to, subject: `[#${input.ref}] Your answer was not delivered`, lines: text, support: input.support, messageId: input.messageId, thread: input.answerMessageIds });
}
