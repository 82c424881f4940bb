/**
 * Mail to a staff reply address (`support+<ref>.<staff id>.<signature>@…`): a staff member answering the
 * notification they got. It is relayed only when the address's signature binds the ticket and the staff
 * member, the From address is that staff member's, and authentication aligned with the From domain proves it.
 * Anything else sends nothing to the customer: `reply-rejected` is recorded on the ticket, and a staff sender
 * whom authentication proves is told why. Machine mail (an out-of-office answering the notification) is
 * dropped without a word, so two auto-responders cannot loop through the desk.
 */
import { createHash } from 'node:crypto';
import type { SenderTrust } from '../mail/trust';
import type { InboundMail } from '../mail/types';
import { staffReplyText } from '../mail/staff-reply-text';
import type { Staff } from '../roster/model';
import { rejectStaffReply, relayStaffReply, type StaffReplyDependencies, type StaffReplyRejection } from '../tickets/staff-replies';
import { messageIdKey } from '../tickets/references';
import { isValidStaffReplySignature, type StaffReplyToken } from '../tickets/staff-reply-address';

export interface StaffMailInput {
  sesMessageId: string;
  receivedAt: string;
  mail: InboundMail;
  /** The From address, lower case. */
  sender: string;
  trust: SenderTrust;
  machineGenerated: boolean;
  token: StaffReplyToken;
  /** The staff member whose address the From is, if any (whatever the token says). */
  senderStaff?: Staff;
}

export type StaffMailResult =
  | { outcome: 'staff-reply'; ticketId: string; relayed: string }
  | { outcome: 'staff-reply-rejected'; ticketId?: string; reason: StaffReplyRejection }
  | { outcome: 'discarded'; reason: string };

export async function receiveStaffMail(input: StaffMailInput, deps: StaffReplyDependencies): Promise<StaffMailResult> {
  const { token, sender } = input;
  if (input.machineGenerated) return { outcome: 'discarded', reason: 'machine mail to a staff reply address' };
  // The same mail may come again under another SES id (the sending server retried after a lost answer): keyed by
  // its sender and Message-ID, it is relayed once. Digested: a Message-ID may be up to 998 characters long.
  const cause = input.mail.messageId ? `email:${createHash('sha256').update(`${sender}\n${messageIdKey(input.mail.messageId)}`).digest('hex').slice(0, 40)}` : `email:${input.sesMessageId}`;
  const ticket = await deps.store.getTicket(token.ref);
  if (!ticket) return { outcome: 'staff-reply-rejected', reason: 'unknown-ticket' };

  const proven = input.trust === 'aligned';
  const named = isValidStaffReplySignature(ticket.id, token.staffId, token.signature, deps.settings.replyTokenSecret) ? await deps.roster.getStaff(token.staffId) : undefined;
  // An address the desk never issued names its ticket only by a reference anyone may know: unless a proven
  // member of staff sent it, it writes nothing into that ticket (no stranger can fill a ticket's history).
  if (!named && !(proven && input.senderStaff)) return { outcome: 'discarded', reason: 'staff reply address with a signature that does not verify' };
  let reason: StaffReplyRejection | undefined;
  if (!named) reason = 'invalid-address';
  else if (named.email !== sender || !proven) reason = 'wrong-sender';

  let text = '';
  if (!reason) {
    const extracted = staffReplyText({ ...(input.mail.text ? { text: input.mail.text } : {}), ...(input.mail.html ? { html: input.mail.html } : {}) });
    if (extracted.ok) text = extracted.text;
    else reason = extracted.reason;
  }
  if (reason || !named) {
    const rejection = reason ?? 'invalid-address';
    // Only a sender the roster knows and authentication proves is answered; anyone else learns nothing.
    const notify = proven && input.senderStaff ? { staff: input.senderStaff, ...(input.mail.messageId ? { inReplyTo: input.mail.messageId } : {}) } : undefined;
    await rejectStaffReply({ ticket, sender, reason: rejection, cause, at: input.receivedAt, via: 'email', ...(notify ? { notify } : {}) }, deps);
    return { outcome: 'staff-reply-rejected', ticketId: ticket.id, reason: rejection };
  }

  const result = await relayStaffReply({ ticketId: ticket.id, staffId: named.id, text, cause, at: input.receivedAt, via: 'email' }, deps);
  if (result.status === 'rejected') {
    const notify = { staff: named, ...(input.mail.messageId ? { inReplyTo: input.mail.messageId } : {}) };
    await rejectStaffReply({ ticket, sender, reason: result.reason, cause, at: input.receivedAt, via: 'email', notify, ...(result.blocked ? { blockedDetail: result.blocked.detail } : {}) }, deps);
    return { outcome: 'staff-reply-rejected', ticketId: ticket.id, reason: result.reason };
  }
  return { outcome: 'staff-reply', ticketId: ticket.id, relayed: result.status };
}
